-- Email facts per customer, over every address of the customer that SendGrid reported on.
-- opened excludes machine opens (sg_machine_open); bounced = hard bounces (bounce type 'bounce'), blocked =
-- temporary blocks (bounce type 'blocked'); unsubscribed = global unsubscribes; complained = spamreport.
-- Group unsubscribes count per group and only while no later group_resubscribe re-opened the group.

with

assignments as (

    select node_key, customer_id from {{ ref('int_customer_ids_assigned') }}

),

addresses as (

    select assignments.customer_id, addresses.*
    from {{ ref('int_email_addresses_observed') }} as addresses
    inner join assignments on assignments.node_key = 'email:' || addresses.email_address

),

groups as (

    select
        assignments.customer_id,
        count(distinct coalesce(cast(groups.asm_group_id as {{ dbt.type_string() }}), '?')) filter (where groups.is_unsubscribed)
            as email_groups_unsubscribed
    from {{ ref('int_email_group_subscriptions_resolved') }} as groups
    inner join assignments on assignments.node_key = 'email:' || groups.email_address
    group by assignments.customer_id

),

per_customer as (

    select
        customer_id,
        sum(delivered_count)::bigint as emails_delivered,
        sum(opened_count)::bigint as emails_opened,
        sum(clicked_count)::bigint as emails_clicked,
        sum(bounced_count)::bigint as emails_bounced,
        sum(blocked_count)::bigint as emails_blocked,
        sum(unsubscribed_count)::bigint as emails_unsubscribed,
        sum(group_unsubscribed_count)::bigint as emails_group_unsubscribed,
        sum(complained_count)::bigint as emails_complained,
        count(*)::bigint as email_addresses_observed,
        count(*) filter (where is_undeliverable)::bigint as email_addresses_undeliverable,
        sum(event_count)::bigint as email_event_count,
        min(first_seen_at) as first_email_event_at,
        max(last_seen_at) as last_email_event_at
    from addresses
    group by customer_id

)

select
    per_customer.*,
    coalesce(groups.email_groups_unsubscribed, 0)::bigint as email_groups_unsubscribed
from per_customer
left join groups using (customer_id)
