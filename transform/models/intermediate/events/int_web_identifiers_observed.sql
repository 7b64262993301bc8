{{
    config(
        materialized=c360.incremental_materialization(),
        unique_key='identifier_pair_key',
        incremental_strategy='delete+insert',
    )
}}

-- Every (anonymous_id, user_id) combination Segment saw in one call (either may be null), over identifies,
-- tracks, pages, screens, groups and aliases (an alias call's own anonymousId and userId; its previousId is the
-- alias edge of int_identity_edges). The web_user and web_anonymous identity nodes and the "seen together" edges come from here.
-- Incremental on the load id: an increment only re-aggregates the combinations with new events.

with

events as (

    {% for model in ['stg_web__identifies', 'stg_web__tracks', 'stg_web__pages', 'stg_web__screens', 'stg_web__groups', 'stg_web__aliases'] %}
    select anonymous_id, user_id, occurred_at, _dlt_load_id
    from {{ ref(model) }}
    where (anonymous_id is not null or user_id is not null)
    {% if is_incremental() %}
        and _dlt_load_id > (select coalesce(max(last_load_id), '') from {{ this }})
    {% endif %}
    {{ 'union all' if not loop.last }}
    {% endfor %}

),

new_pairs as (

    select
        coalesce(anonymous_id, '') || chr(31) || coalesce(user_id, '') as identifier_pair_key,
        anonymous_id,
        user_id,
        min(occurred_at) as first_seen_at,
        max(occurred_at) as last_seen_at,
        count(*) as event_count,
        max(_dlt_load_id) as last_load_id
    from events
    group by all

),

combined as (

    select * from new_pairs
    {% if is_incremental() %}
    union all
    select identifier_pair_key, anonymous_id, user_id, first_seen_at, last_seen_at, event_count, last_load_id
    from {{ this }}
    where identifier_pair_key in (select identifier_pair_key from new_pairs)
    {% endif %}

)

select
    identifier_pair_key,
    any_value(anonymous_id) as anonymous_id,
    any_value(user_id) as user_id,
    min(first_seen_at) as first_seen_at,
    max(last_seen_at) as last_seen_at,
    sum(event_count)::bigint as event_count,
    max(last_load_id) as last_load_id
from combined
group by identifier_pair_key
