{{
    config(
        materialized='incremental',
        unique_key='email_address',
        incremental_strategy='delete+insert',
    )
}}

-- Every distinct address SendGrid reported an event for, verbatim (the identity node of source `email`).
-- Incremental on the load id: an increment only re-aggregates the addresses that got new events.

with

new_events as (

    select email_address, email, occurred_at, _dlt_load_id
    from {{ ref('stg_email__events') }}
    where email_address is not null
    {% if is_incremental() %}
        and _dlt_load_id > (select coalesce(max(last_load_id), '') from {{ this }})
    {% endif %}

),

combined as (

    select email_address, email, occurred_at as first_seen_at, occurred_at as last_seen_at, 1 as event_count, _dlt_load_id as last_load_id
    from new_events
    {% if is_incremental() %}
    union all
    select email_address, email, first_seen_at, last_seen_at, event_count, last_load_id
    from {{ this }}
    where email_address in (select email_address from new_events)
    {% endif %}

)

select
    email_address,
    any_value(email) as email,
    min(first_seen_at) as first_seen_at,
    max(last_seen_at) as last_seen_at,
    sum(event_count)::bigint as event_count,
    max(last_load_id) as last_load_id,
from combined
group by email_address
