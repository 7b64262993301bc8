-- Support facts per customer: tickets by state, median resolution time of solved tickets, and CSAT
-- (share of 'good' among good + bad ratings; offered/unoffered are not answers). Deleted tickets and their
-- ratings are no support given and are left out (deleted users are no identity nodes, so count nowhere).

with

assignments as (

    select node_key, customer_id from {{ ref('int_customer_ids_assigned') }}

),

tickets as (

    select
        assignments.customer_id,
        tickets.*
    from {{ ref('stg_support__tickets') }} as tickets
    inner join assignments on assignments.node_key = 'support:' || tickets.requester_id
    where not tickets.is_deleted

),

ratings as (

    select
        assignments.customer_id,
        count(*) filter (where ratings.is_good) as good_rating_count,
        count(*) filter (where ratings.is_bad) as bad_rating_count
    from {{ ref('stg_support__satisfaction_ratings') }} as ratings
    inner join assignments on assignments.node_key = 'support:' || ratings.requester_id
    where not coalesce(ratings.ticket_id in (select ticket_id from {{ ref('stg_support__tickets') }} where is_deleted), false)
    group by assignments.customer_id

),

ticket_facts as (

    select
        customer_id,
        count(*) as ticket_count,
        count(*) filter (where is_open) as tickets_open,
        count(*) filter (where is_solved) as tickets_solved,
        median({{ c360.seconds_between('created_at', 'solved_at') }} / 3600.0) filter (where is_solved and solved_at >= created_at)
            as median_resolution_hours,
        min(created_at) as first_ticket_at,
        max(created_at) as last_ticket_at
    from tickets
    group by customer_id

)

select
    coalesce(ticket_facts.customer_id, ratings.customer_id) as customer_id,
    coalesce(ticket_facts.ticket_count, 0) as ticket_count,
    coalesce(ticket_facts.tickets_open, 0) as tickets_open,
    coalesce(ticket_facts.tickets_solved, 0) as tickets_solved,
    ticket_facts.median_resolution_hours,
    coalesce(ratings.good_rating_count, 0) as good_rating_count,
    coalesce(ratings.bad_rating_count, 0) as bad_rating_count,
    case
        when coalesce(ratings.good_rating_count, 0) + coalesce(ratings.bad_rating_count, 0) > 0
            then ratings.good_rating_count::double / (ratings.good_rating_count + ratings.bad_rating_count)
    end as csat,
    ticket_facts.first_ticket_at,
    ticket_facts.last_ticket_at
from ticket_facts
full outer join ratings using (customer_id)
