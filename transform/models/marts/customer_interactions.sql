{{
    config(
        materialized=c360.incremental_materialization(),
        unique_key='interaction_id',
        incremental_strategy='delete+insert',
        post_hook="{{ c360.delete_deleted_support_records() }}",
    )
}}

-- The customer timeline: one row per touch (order, ticket, answered CSAT rating, email event, page view, track
-- event) of a customer of customer_360, attributed through identity_map by the identity node that carries it
-- (identity_source, identity_record_id).
--
-- Incremental, two parts per run:
--   * new and changed records: per source table, the loads newer than that table's high-water mark in this model
--     (minus var('event_lookback_days'), default 0): a record updated in place, such as an order changing status,
--     comes back through its new load id and delete+insert on interaction_id replaces it. dlt commits the
--     loads of one table in order, so a run reads only what arrived since the last one;
--   * re-keying: identity resolution may move a node to another customer_id (two customers merged, one split).
--     Rows already here whose node now maps to another customer are re-emitted with the current customer_id,
--     from this table itself (one hash join with identity_map, no source rescan).
-- A full refresh (dbt build --full-refresh -s customer_interactions) rebuilds the same rows from staging.
-- Deleted Zendesk tickets (with their ratings) and deleted Zendesk users leave the timeline: the post-hook removes
-- their rows, also the rows of a ticket or user deleted after it was first loaded (delete+insert alone would
-- keep them, as a filtered-out record never comes back to replace its row).

{%- set lookback_seconds = (var('event_lookback_days', 0) | float) * 86400 %}
{%- set since -%}
    {%- if is_incremental() -%}
    and try_cast(_dlt_load_id as double) > coalesce((select reprocess_after from high_water_marks where source_table = '@table'), 0)
    {%- endif -%}
{%- endset %}

with

identities as (

    -- one number per node to join on (macro identity_node_hash): the strings spilled > 20 GB at 1M customers
    select
        {{ c360.identity_node_hash('identity_map.source', 'identity_map.source_record_id') }} as identity_hash,
        identity_map.customer_id
    from {{ ref('identity_map') }} as identity_map
    inner join {{ ref('customer_360') }} as customers on customers.customer_id = identity_map.customer_id

),

{% if is_incremental() %}
high_water_marks as (

    select source_table, max(try_cast(_dlt_load_id as double)) - {{ lookback_seconds }} as reprocess_after
    from {{ this }}
    group by source_table

),
{% endif %}

touches as (

    select
        'order:' || order_id as interaction_id,
        'sales' as channel,
        'order' as interaction_type,
        status as event_name,
        ordered_at as occurred_at,
        true as is_customer_initiated,
        status,
        total as amount,
        currency,
        cast(null as {{ dbt.type_string() }}) as url,
        'sales' as source,
        'orders' as source_table,
        order_id as source_record_id,
        'sales' as identity_source,
        customer_id as identity_record_id,
        _dlt_load_id
    from {{ ref('stg_sales__orders') }}
    where customer_id is not null {{ since | replace('@table', 'orders') }}

    union all

    select
        'ticket:' || ticket_id,
        'support',
        'ticket',
        coalesce(channel, 'ticket'),
        created_at,
        true,
        status,
        null::decimal(18, 2),
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }}),
        'support',
        'tickets',
        ticket_id,
        'support',
        requester_id,
        _dlt_load_id
    from {{ ref('stg_support__tickets') }}
    where requester_id is not null {{ since | replace('@table', 'tickets') }}

    union all

    -- only answered ratings: 'offered' / 'unoffered' are a survey sent or not, not a touch from the customer
    select
        'rating:' || satisfaction_rating_id,
        'support',
        'satisfaction_rating',
        score,
        rated_at,
        true,
        cast(null as {{ dbt.type_string() }}),
        null::decimal(18, 2),
        cast(null as {{ dbt.type_string() }}),
        cast(null as {{ dbt.type_string() }}),
        'support',
        'satisfaction_ratings',
        satisfaction_rating_id,
        'support',
        requester_id,
        _dlt_load_id
    from {{ ref('stg_support__satisfaction_ratings') }}
    where (is_good or is_bad) and requester_id is not null {{ since | replace('@table', 'satisfaction_ratings') }}

    union all

    select
        'email:' || email_event_id,
        'email',
        'email_event',
        event_type,
        occurred_at,
        -- delivery events are ours; opens (not machine prefetches), clicks, opt-outs and opt-ins are the customer's
        (event_type = 'open' and not is_machine_open)
            or event_type in ('click', 'unsubscribe', 'group_unsubscribe', 'group_resubscribe', 'spamreport'),
        case when event_type = 'open' and is_machine_open then 'machine_open' else bounce_type end,
        null::decimal(18, 2),
        cast(null as {{ dbt.type_string() }}),
        url,
        'email',
        'events',
        email_event_id,
        'email',
        email_address,
        _dlt_load_id
    from {{ ref('stg_email__events') }}
    where email_address is not null {{ since | replace('@table', 'events') }}

    union all

    -- Page views, screen views and track calls from the incremental web event stream (the same rows as the
    -- three staging models): its load ids are a plain column there, so a run reads only the new loads instead
    -- of de-duplicating every web event of the staging views again. A visitor is their cookie; an event
    -- without one belongs to the logged-in user (as in the sessions model).
    select
        case when web.event_kind = 'track' then 'track_event' else 'page_view' end || ':' || web.web_event_id,
        'web',
        case when web.event_kind = 'track' then 'track_event' else 'page_view' end,
        web.event_name,
        web.occurred_at,
        true,
        cast(null as {{ dbt.type_string() }}),
        null::decimal(18, 2),
        cast(null as {{ dbt.type_string() }}),
        web.url,
        'web',
        web.event_kind || 's',
        web.web_event_id,
        case when web.anonymous_id is not null then 'web_anonymous' else 'web_user' end,
        coalesce(web.anonymous_id, web.user_id),
        web._dlt_load_id
    from {{ ref('int_web_events_unioned') }} as web
    {%- if is_incremental() %}
    left join high_water_marks on high_water_marks.source_table = web.event_kind || 's'
    where try_cast(web._dlt_load_id as double) > coalesce(high_water_marks.reprocess_after, 0)
    {%- endif %}

),

-- No window over the rows to pick one per interaction_id: DuckDB's window operator does not spill, and at
-- 100,000 customers (6.3 M touches) `row_number() over (partition by interaction_id)` ran out of memory under a
-- 1 GB limit (issue 11). interaction_id is already unique among the new touches (one row per staging key, one
-- customer per identity node); a re-keyed row is kept only when no new touch replaces it (an anti join, which
-- spills), as the new touch is the fresher record.
attributed as (

    select
        touches.interaction_id,
        identities.customer_id,
        {{ c360.star_exclude('touches', ['interaction_id']) }}
    from touches
    inner join identities
        on identities.identity_hash
            = {{ c360.identity_node_hash('touches.identity_source', 'touches.identity_record_id') }}

){% if is_incremental() %},

rekeyed as (

    select
        existing.interaction_id,
        identities.customer_id,
        {{ c360.star_exclude('existing', ['interaction_id', 'customer_id']) }}
    from {{ this }} as existing
    inner join identities
        on identities.identity_hash
            = {{ c360.identity_node_hash('existing.identity_source', 'existing.identity_record_id') }}
    where identities.customer_id <> existing.customer_id
        and not exists (select 1 from attributed where attributed.interaction_id = existing.interaction_id)

){% endif %}

select * from attributed
{%- if is_incremental() %}

union all by name

select * from rekeyed
{%- endif %}
