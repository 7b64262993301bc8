-- Support satisfaction per RFM segment and calendar month, for reporting. A customer counts in its segment of
-- today's customer_segments (segments are not historized). Tickets count in the month they were opened, ratings
-- in the month they were given; customer_count = distinct customers with a ticket or an answered rating that month.

with

segments as (

    select customer_id, segment from {{ ref('customer_segments') }}

),

tickets as (

    select segments.segment, tickets.ticket_month as month, tickets.customer_id, tickets.is_solved, tickets.resolution_hours
    from {{ ref('int_crm_tickets_attributed') }} as tickets
    inner join segments on segments.customer_id = tickets.customer_id

),

ratings as (

    select segments.segment, ratings.rating_month as month, ratings.customer_id, ratings.is_good
    from {{ ref('int_crm_satisfaction_ratings_attributed') }} as ratings
    inner join segments on segments.customer_id = ratings.customer_id

),

ticket_facts as (

    select
        segment,
        month,
        count(*) as ticket_count,
        median(resolution_hours) filter (where is_solved) as median_resolution_hours
    from tickets
    group by segment, month

),

rating_facts as (

    select
        segment,
        month,
        count(*) as rated_ticket_count,
        count(*) filter (where is_good) as good_rating_count
    from ratings
    group by segment, month

),

customer_facts as (

    select segment, month, count(distinct customer_id) as customer_count
    from (
        select segment, month, customer_id from tickets
        union all
        select segment, month, customer_id from ratings
    )
    group by segment, month

)

select
    customer_facts.segment,
    customer_facts.month,
    customer_facts.customer_count,
    coalesce(ticket_facts.ticket_count, 0) as ticket_count,
    coalesce(rating_facts.rated_ticket_count, 0) as rated_ticket_count,
    coalesce(rating_facts.good_rating_count, 0) as good_rating_count,
    rating_facts.good_rating_count::double / nullif(rating_facts.rated_ticket_count, 0) as csat,
    round(ticket_facts.median_resolution_hours, 2) as median_resolution_hours
from customer_facts
left join ticket_facts on ticket_facts.segment = customer_facts.segment and ticket_facts.month = customer_facts.month
left join rating_facts on rating_facts.segment = customer_facts.segment and rating_facts.month = customer_facts.month
