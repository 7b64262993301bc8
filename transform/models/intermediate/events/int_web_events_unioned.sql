{{
    config(
        materialized='incremental',
        unique_key='web_event_id',
        incremental_strategy='delete+insert',
    )
}}

-- Page views and track calls in one stream (the activity that makes up sessions), keyed by Segment messageId.
-- Incremental on the dlt load id: late events come in later loads and are picked up then.

{% for model, kind in [('stg_web__pages', 'page'), ('stg_web__tracks', 'track')] %}
select
    {{ 'page_id' if kind == 'page' else 'track_id' }} as web_event_id,
    '{{ kind }}' as event_kind,
    {{ 'page_name' if kind == 'page' else 'event_name' }} as event_name,
    anonymous_id,
    user_id,
    -- a visitor is their cookie; events without one belong to the logged-in user
    coalesce('web_anonymous:' || anonymous_id, 'web_user:' || user_id) as visitor_node_key,
    occurred_at,
    url,
    _dlt_load_id,
from {{ ref(model) }}
where (anonymous_id is not null or user_id is not null)
{% if is_incremental() %}
  and _dlt_load_id > (select coalesce(max(_dlt_load_id), '') from {{ this }})
{% endif %}
{{ 'union all' if not loop.last }}
{% endfor %}
