-- One row per customer of customer_360: support experience (tickets, CSAT, reply and resolution times, reopens),
-- complaint signals from email (spam reports, global unsubscribes), and one satisfaction score with its band.
--
-- csat               = good / (good + bad) answered ratings; null when the customer rated nothing
-- smoothed_csat      = (good + w x population CSAT) / (good + bad + w), w = var('crm_csat_prior_weight'): a single
--                      rating moves a customer part of the way from the population's CSAT, not to 0 or 1
-- satisfaction_score = clamp(100 x smoothed_csat
--                            - var('crm_penalty_per_reopened_ticket') x reopened tickets
--                            - var('crm_penalty_per_spam_report') x spam reports
--                            - var('crm_penalty_per_unsubscribe') x unsubscribes, 0, 100)
--                      null when there is no signal at all (no ticket, rating, spam report or unsubscribe)
-- satisfaction_band  = promoter (>= var('crm_promoter_min_score')), passive (>= var('crm_passive_min_score')),
--                      detractor, or 'unknown' when the score is null

with

customers as (

    select customer_id, emails_unsubscribed, emails_complained
    from {{ ref('customer_360') }}

),

tickets as (

    select
        customer_id,
        count(*) as ticket_count,
        count(*) filter (where is_open) as open_ticket_count,
        count(*) filter (where is_solved) as solved_ticket_count,
        count(*) filter (where is_reopened) as reopened_ticket_count,
        median(first_reply_minutes) as median_first_reply_minutes,
        median(resolution_hours) filter (where is_solved) as median_resolution_hours,
        max(created_at) as last_ticket_at
    from {{ ref('int_crm_tickets_attributed') }}
    group by customer_id

),

ratings as (

    select
        customer_id,
        count(*) as rated_ticket_count,
        count(*) filter (where is_good) as good_rating_count,
        count(*) filter (where is_bad) as bad_rating_count
    from {{ ref('int_crm_satisfaction_ratings_attributed') }}
    group by customer_id

),

population as (

    -- over the customers of customer_360 only (staff never rate)
    select coalesce(sum(ratings.good_rating_count)::double / nullif(sum(ratings.rated_ticket_count), 0), 0.5) as population_csat
    from ratings
    inner join customers on customers.customer_id = ratings.customer_id

),

combined as (

    select
        customers.customer_id,
        coalesce(tickets.ticket_count, 0) as ticket_count,
        coalesce(tickets.open_ticket_count, 0) as open_ticket_count,
        coalesce(tickets.solved_ticket_count, 0) as solved_ticket_count,
        coalesce(tickets.reopened_ticket_count, 0) as reopened_ticket_count,
        tickets.median_first_reply_minutes,
        tickets.median_resolution_hours,
        tickets.last_ticket_at,
        coalesce(ratings.rated_ticket_count, 0) as rated_ticket_count,
        coalesce(ratings.good_rating_count, 0) as good_rating_count,
        coalesce(ratings.bad_rating_count, 0) as bad_rating_count,
        customers.emails_complained as spam_report_count,
        customers.emails_unsubscribed as unsubscribe_count,
        population.population_csat
    from customers
    cross join population
    left join tickets on tickets.customer_id = customers.customer_id
    left join ratings on ratings.customer_id = customers.customer_id

),

scored as (

    select
        *,
        case when rated_ticket_count > 0 then good_rating_count::double / rated_ticket_count end as csat,
        (good_rating_count + {{ var('crm_csat_prior_weight') }} * population_csat)
            / (rated_ticket_count + {{ var('crm_csat_prior_weight') }}) as smoothed_csat,
        ticket_count + rated_ticket_count + spam_report_count + unsubscribe_count > 0 as has_signal
    from combined

),

final as (

    select
        *,
        case
            when has_signal then round(least(100, greatest(0,
                100 * smoothed_csat
                - {{ var('crm_penalty_per_reopened_ticket') }} * reopened_ticket_count
                - {{ var('crm_penalty_per_spam_report') }} * spam_report_count
                - {{ var('crm_penalty_per_unsubscribe') }} * unsubscribe_count
            )), 1)
        end as satisfaction_score
    from scored

)

select
    customer_id,
    ticket_count,
    open_ticket_count,
    solved_ticket_count,
    reopened_ticket_count,
    round(median_first_reply_minutes, 1) as median_first_reply_minutes,
    round(median_resolution_hours, 2) as median_resolution_hours,
    last_ticket_at,
    rated_ticket_count,
    good_rating_count,
    bad_rating_count,
    csat,
    spam_report_count,
    unsubscribe_count,
    has_signal,
    satisfaction_score,
    case
        when satisfaction_score is null then 'unknown'
        when satisfaction_score >= {{ var('crm_promoter_min_score') }} then 'promoter'
        when satisfaction_score >= {{ var('crm_passive_min_score') }} then 'passive'
        else 'detractor'
    end as satisfaction_band
from final
