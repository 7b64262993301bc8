-- Email facts per customer, over every address of the customer that SendGrid reported on.
-- opened excludes machine opens (sg_machine_open); bounced includes blocked; complained = spamreport.

with

assignments as (

    select node_key, customer_id from {{ ref('int_customer_ids_assigned') }}

)

select
    assignments.customer_id,
    sum(addresses.delivered_count)::bigint as emails_delivered,
    sum(addresses.opened_count)::bigint as emails_opened,
    sum(addresses.clicked_count)::bigint as emails_clicked,
    sum(addresses.bounced_count)::bigint as emails_bounced,
    sum(addresses.unsubscribed_count)::bigint as emails_unsubscribed,
    sum(addresses.complained_count)::bigint as emails_complained,
    sum(addresses.event_count)::bigint as email_event_count,
    min(addresses.first_seen_at) as first_email_event_at,
    max(addresses.last_seen_at) as last_email_event_at,
from {{ ref('int_email_addresses_observed') }} as addresses
inner join assignments on assignments.node_key = 'email:' || addresses.email_address
group by assignments.customer_id
