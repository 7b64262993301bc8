{{
    config(
        materialized=c360.incremental_materialization(),
        unique_key='visitor_node_key',
        incremental_strategy='delete+insert',
    )
}}

-- Web sessions: a visitor's page views (web pages and mobile screens) and track calls, a new session after var('session_inactivity_minutes')
-- (default 30) without activity. Incremental: a run re-sessionizes only the visitors with events in loads newer
-- than this table's high-water mark (all of those visitors' events, so a late event lands in the right session).

with

{% if is_incremental() %}
changed_visitors as (

    select distinct visitor_node_key
    from {{ ref('int_web_events_unioned') }}
    where _dlt_load_id > (select coalesce(max(last_load_id), '') from {{ this }})

),
{% endif %}

events as (

    select visitor_node_key, anonymous_id, user_id, event_kind, occurred_at, _dlt_load_id
    from {{ ref('int_web_events_unioned') }}
    {% if is_incremental() %}
    where visitor_node_key in (select visitor_node_key from changed_visitors)
    {% endif %}

),

marked as (

    select
        *,
        case
            when lag(occurred_at) over (partition by visitor_node_key order by occurred_at) is null then 1
            when occurred_at - lag(occurred_at) over (partition by visitor_node_key order by occurred_at)
                > interval '{{ var('session_inactivity_minutes') }} minutes' then 1
            else 0
        end as is_session_start
    from events

),

numbered as (

    select
        *,
        sum(is_session_start) over (
            partition by visitor_node_key order by occurred_at rows between unbounded preceding and current row
        ) as session_number
    from marked

)

select
    md5(visitor_node_key || '#' || cast(min(occurred_at) as {{ dbt.type_string() }})) as session_id,
    visitor_node_key,
    any_value(anonymous_id) as anonymous_id,
    max(user_id) as user_id,
    session_number,
    min(occurred_at) as session_started_at,
    max(occurred_at) as session_ended_at,
    -- a mobile app's screen call is its page view
    count(*) filter (where event_kind in ('page', 'screen')) as page_view_count,
    count(*) filter (where event_kind = 'track') as track_event_count,
    max(_dlt_load_id) as last_load_id
from numbered
group by visitor_node_key, session_number
