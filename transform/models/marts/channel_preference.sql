-- One row per customer of customer_360: engagement per channel, the channel the customer responds to best, and
-- the next best action for the communication plan.
--
-- Engagement (raw, per channel):
--   email   = max(0, human opens + 2 x clicks - 2 x hard bounces) / max(1, delivered), and 0 when the customer
--             unsubscribed globally or reported spam (opted out); machine opens (Apple MPP prefetches) are never
--             opens; temporary blocks (bounce type 'blocked') are the sender's problem and do not count
--   web     = sessions (30-minute inactivity rule)
--   support = tickets x CSAT (the population-neutral 0.5 when unrated): contacting support and rating it well
-- Each channel's score is the customer's cume_dist among the customers with engagement > 0 on that channel
-- (in (0, 1]), 0 without engagement, so channels measured in different units compare as percentiles.
-- best_channel = the highest score (ties: email, then web, then support), 'none' when every score is 0.
-- outreach_channel = the better of email (only when contactable) and web for outbound communication.
-- is_email_contactable = an address to write to (golden email or deliveries), no global opt-out (unsubscribe or
-- spam report), and not every address SendGrid reported on undeliverable (hard-bounced with no later delivery).
-- Blocks, deferrals and group unsubscribes leave it true: a group unsubscribe closes only that group's mail
-- (email_groups_unsubscribed counts the groups still closed; a group_resubscribe re-opens one).
-- next_best_action, first rule that applies:
--   1. detractor or an open ticket                   -> support_follow_up
--   2. no outreach channel                            -> no_action
--   3. lifecycle at risk / churned                    -> win_back_<outreach_channel>
--   4. prospect                                       -> first_purchase_offer_<outreach_channel>
--   5. new                                            -> onboarding_<outreach_channel>
--   6. platinum value tier or Champions segment       -> loyalty_reward_<outreach_channel>
--   7. otherwise (active)                             -> cross_sell_<outreach_channel>

with

customers as (

    select
        customer_id,
        email,
        emails_delivered,
        emails_opened,
        emails_clicked,
        emails_bounced,
        emails_blocked,
        emails_unsubscribed,
        email_groups_unsubscribed,
        emails_complained,
        email_address_count,
        email_addresses_undeliverable,
        web_session_count,
        page_view_count,
        last_visit_at
    from {{ ref('customer_360') }}

),

segments as (

    select customer_id, segment, lifecycle_stage, value_tier from {{ ref('customer_segments') }}

),

satisfaction as (

    select customer_id, ticket_count, open_ticket_count, csat, satisfaction_band
    from {{ ref('customer_satisfaction') }}

),

engagement as (

    select
        customers.*,
        satisfaction.ticket_count,
        satisfaction.open_ticket_count,
        satisfaction.csat,
        satisfaction.satisfaction_band,
        segments.segment,
        segments.lifecycle_stage,
        segments.value_tier,
        customers.emails_unsubscribed + customers.emails_complained > 0 as has_opted_out,
        (customers.email is not null or customers.emails_delivered > 0)
            and customers.emails_unsubscribed + customers.emails_complained = 0
            and not (
                customers.email_addresses_undeliverable > 0
                and customers.email_addresses_undeliverable >= customers.email_address_count
            ) as is_email_contactable,
        case
            when customers.emails_unsubscribed + customers.emails_complained > 0 then 0.0
            else greatest(0, customers.emails_opened + 2 * customers.emails_clicked - 2 * customers.emails_bounced)
                / greatest(1, customers.emails_delivered)
        end as email_engagement,
        customers.web_session_count::double as web_engagement,
        satisfaction.ticket_count * coalesce(satisfaction.csat, 0.5) as support_engagement
    from customers
    inner join segments on segments.customer_id = customers.customer_id
    inner join satisfaction on satisfaction.customer_id = customers.customer_id

),

{%- set channels = ['email', 'web', 'support'] %}

scored as (

    select
        engagement.*,
        {%- for channel in channels %}
        coalesce({{ channel }}_ranked.{{ channel }}_score, 0.0) as {{ channel }}_score{{ ',' if not loop.last }}
        {%- endfor %}
    from engagement
    {%- for channel in channels %}
    left join (
        select customer_id, cume_dist() over (order by {{ channel }}_engagement) as {{ channel }}_score
        from engagement
        where {{ channel }}_engagement > 0
    ) as {{ channel }}_ranked on {{ channel }}_ranked.customer_id = engagement.customer_id
    {%- endfor %}

),

chosen as (

    select
        *,
        case
            when greatest(email_score, web_score, support_score) = 0 then 'none'
            when email_score >= web_score and email_score >= support_score then 'email'
            when web_score >= support_score then 'web'
            else 'support'
        end as best_channel,
        case
            when is_email_contactable and email_score >= web_score then 'email'
            when web_score > 0 then 'web'
            when is_email_contactable then 'email'
        end as outreach_channel
    from scored

)

select
    customer_id,

    emails_delivered,
    emails_opened,
    emails_clicked,
    emails_bounced,
    emails_blocked,
    emails_unsubscribed,
    email_groups_unsubscribed,
    emails_complained,
    is_email_contactable,
    round(email_engagement, 4) as email_engagement,
    round(email_score, 4) as email_score,

    web_session_count,
    page_view_count,
    last_visit_at,
    round(web_score, 4) as web_score,

    ticket_count,
    csat,
    round(support_engagement, 4) as support_engagement,
    round(support_score, 4) as support_score,

    best_channel,
    outreach_channel,
    segment,
    lifecycle_stage,
    satisfaction_band,
    case
        when satisfaction_band = 'detractor' or open_ticket_count > 0 then 'support_follow_up'
        when outreach_channel is null then 'no_action'
        when lifecycle_stage in ('at risk', 'churned') then 'win_back_' || outreach_channel
        when lifecycle_stage = 'prospect' then 'first_purchase_offer_' || outreach_channel
        when lifecycle_stage = 'new' then 'onboarding_' || outreach_channel
        when value_tier = 'platinum' or segment = 'Champions' then 'loyalty_reward_' || outreach_channel
        else 'cross_sell_' || outreach_channel
    end as next_best_action

from chosen
