{{
    config(
        materialized=c360.incremental_materialization(),
        unique_key='web_event_id',
        incremental_strategy='delete+insert',
    )
}}

-- Page views, mobile screen views and track calls in one stream (the activity that makes up sessions), keyed by
-- Segment messageId. Incremental on the dlt load id: late events come in later loads and are picked up then.

{% for model, kind, id_column, name_column in [
    ('stg_web__pages', 'page', 'page_id', 'page_name'),
    ('stg_web__screens', 'screen', 'screen_id', 'screen_name'),
    ('stg_web__tracks', 'track', 'track_id', 'event_name'),
] %}
select
    {{ id_column }} as web_event_id,
    '{{ kind }}' as event_kind,
    {{ name_column }} as event_name,
    anonymous_id,
    user_id,
    -- a visitor is their cookie; events without one belong to the logged-in user
    coalesce('web_anonymous:' || anonymous_id, 'web_user:' || user_id) as visitor_node_key,
    occurred_at,
    url,
    _dlt_load_id
from {{ ref(model) }}
where (anonymous_id is not null or user_id is not null)
{% if is_incremental() %}
  and _dlt_load_id > (select coalesce(max(_dlt_load_id), '') from {{ this }})
{% endif %}
{{ 'union all' if not loop.last }}
{% endfor %}
