-- Answered CSAT ratings (score good or bad) with the customer who gave them (the rating's requester, through
-- identity_map). Zendesk's 'offered' (survey sent, no answer) and 'unoffered' are not answers and are left out,
-- the same rule as customer_360.csat. Ratings of deleted tickets are left out with their tickets.

with

ratings as (

    select * from {{ ref('stg_support__satisfaction_ratings') }}
    where (is_good or is_bad)
        -- a rating of a deleted ticket goes with its ticket
        and not coalesce(ticket_id in (select ticket_id from {{ ref('stg_support__tickets') }} where is_deleted), false)

),

identities as (

    select source_record_id, customer_id
    from {{ ref('identity_map') }}
    where source = 'support'

)

select
    ratings.satisfaction_rating_id,
    identities.customer_id,
    ratings.ticket_id,
    ratings.requester_id,
    ratings.score,
    ratings.is_good,
    ratings.is_bad,
    ratings.rated_at,
    cast(date_trunc('month', {{ c360.utc_date('ratings.rated_at') }}) as date) as rating_month,
    ratings._dlt_load_id
from ratings
inner join identities on identities.source_record_id = ratings.requester_id
