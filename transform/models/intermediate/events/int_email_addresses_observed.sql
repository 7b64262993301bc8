{{
    config(
        materialized='incremental',
        unique_key='email_address',
        incremental_strategy='delete+insert',
    )
}}

-- Every distinct address SendGrid reported an event for, verbatim (the identity node of source `email`), with
-- its engagement counts. Incremental on the dlt load id: a run only re-aggregates the addresses that got events
-- in loads newer than the ones already counted; late events arrive in a later load, so nothing is missed
-- (staging keeps one row per sg_event_id, and an event id is loaded once: counts never double).
-- Opens flagged sg_machine_open (Apple Mail Privacy Protection prefetches) are not counted as opens.

with

new_events as (

    select *
    from {{ ref('stg_email__events') }}
    where email_address is not null
    {% if is_incremental() %}
        and _dlt_load_id > (select coalesce(max(last_load_id), '') from {{ this }})
    {% endif %}

),

new_counts as (

    select
        email_address,
        any_value(email) as email,
        min(occurred_at) as first_seen_at,
        max(occurred_at) as last_seen_at,
        count(*) as event_count,
        count(*) filter (where event_type = 'processed') as processed_count,
        count(*) filter (where event_type = 'delivered') as delivered_count,
        count(*) filter (where event_type = 'open' and not is_machine_open) as opened_count,
        count(*) filter (where event_type = 'open' and is_machine_open) as machine_opened_count,
        count(*) filter (where event_type = 'click') as clicked_count,
        count(*) filter (where event_type in ('bounce', 'blocked')) as bounced_count,
        count(*) filter (where event_type = 'dropped') as dropped_count,
        count(*) filter (where event_type in ('unsubscribe', 'group_unsubscribe')) as unsubscribed_count,
        count(*) filter (where event_type = 'spamreport') as complained_count,
        max(occurred_at) filter (where event_type = 'open' and not is_machine_open) as last_opened_at,
        max(occurred_at) filter (where event_type = 'click') as last_clicked_at,
        max(_dlt_load_id) as last_load_id,
    from new_events
    group by email_address

),

combined as (

    select * from new_counts
    {% if is_incremental() %}
    union all by name
    select * from {{ this }}
    where email_address in (select email_address from new_counts)
    {% endif %}

)

select
    email_address,
    any_value(email) as email,
    min(first_seen_at) as first_seen_at,
    max(last_seen_at) as last_seen_at,
    sum(event_count)::bigint as event_count,
    sum(processed_count)::bigint as processed_count,
    sum(delivered_count)::bigint as delivered_count,
    sum(opened_count)::bigint as opened_count,
    sum(machine_opened_count)::bigint as machine_opened_count,
    sum(clicked_count)::bigint as clicked_count,
    sum(bounced_count)::bigint as bounced_count,
    sum(dropped_count)::bigint as dropped_count,
    sum(unsubscribed_count)::bigint as unsubscribed_count,
    sum(complained_count)::bigint as complained_count,
    max(last_opened_at) as last_opened_at,
    max(last_clicked_at) as last_clicked_at,
    max(last_load_id) as last_load_id,
from combined
group by email_address
