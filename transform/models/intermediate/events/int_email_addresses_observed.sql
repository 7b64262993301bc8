{{
    config(
        materialized=c360.incremental_materialization(),
        unique_key='email_address',
        incremental_strategy='delete+insert',
        on_schema_change='fail',
    )
}}

-- on_schema_change='fail': the counts are sums over every load, so a column added by a code change cannot be
-- appended (old rows would lack their share); dbt stops and asks for `--full-refresh -s int_email_addresses_observed+`.

-- Every distinct address SendGrid reported an event for, verbatim (the identity node of source `email`), with
-- its engagement counts. Incremental on the dlt load id: a run only re-aggregates the addresses that got events
-- in loads newer than the ones already counted; late events arrive in a later load, so nothing is missed
-- (staging keeps one row per sg_event_id, and an event id is loaded once: counts never double).
-- Opens flagged sg_machine_open (Apple Mail Privacy Protection prefetches) are not counted as opens.
-- Bounces follow SendGrid's meaning: only a bounce of type 'bounce' (hard bounce) says the address does not take
-- mail; a 'blocked' bounce is a temporary block (counted apart), 'deferred' a delivery still being retried.
-- unsubscribed_count is the global unsubscribe only; group unsubscribes are per group (int_email_group_subscriptions_resolved).

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
        count(*) filter (where bounce_type = 'bounce') as bounced_count,
        count(*) filter (where bounce_type = 'blocked') as blocked_count,
        count(*) filter (where event_type = 'deferred') as deferred_count,
        count(*) filter (where event_type = 'dropped') as dropped_count,
        count(*) filter (where event_type = 'unsubscribe') as unsubscribed_count,
        count(*) filter (where event_type = 'group_unsubscribe') as group_unsubscribed_count,
        count(*) filter (where event_type = 'spamreport') as complained_count,
        max(occurred_at) filter (where event_type = 'open' and not is_machine_open) as last_opened_at,
        max(occurred_at) filter (where event_type = 'click') as last_clicked_at,
        max(occurred_at) filter (where event_type = 'delivered') as last_delivered_at,
        max(occurred_at) filter (where bounce_type = 'bounce') as last_bounced_at,
        max(_dlt_load_id) as last_load_id
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
    sum(blocked_count)::bigint as blocked_count,
    sum(deferred_count)::bigint as deferred_count,
    sum(dropped_count)::bigint as dropped_count,
    sum(unsubscribed_count)::bigint as unsubscribed_count,
    sum(group_unsubscribed_count)::bigint as group_unsubscribed_count,
    sum(complained_count)::bigint as complained_count,
    max(last_opened_at) as last_opened_at,
    max(last_clicked_at) as last_clicked_at,
    max(last_delivered_at) as last_delivered_at,
    max(last_bounced_at) as last_bounced_at,
    -- undeliverable: hard-bounced, and nothing was delivered to it since (a later delivery shows it takes mail again)
    coalesce(max(last_bounced_at) > coalesce(max(last_delivered_at), {{ c360.min_timestamptz() }}), false)
        as is_undeliverable,
    max(last_load_id) as last_load_id
from combined
group by email_address
