-- The "as of" instant of every CRM mart (recency, tenure, age, lifecycle), one row. By default the latest touch in
-- the data (order, ticket, rating, email event, web event), not current_date: a mart built twice from the same
-- data is identical, and tests are deterministic. var('crm_reference_date') ('YYYY-MM-DD') sets it to the end of
-- that day instead, e.g. to measure recency against today; it moves the clock only, it does not filter facts.

{%- set override = var('crm_reference_date', none) %}

with

observed as (

    select max(ordered_at) as observed_at from {{ ref('stg_sales__orders') }}
    union all
    select max(created_at) from {{ ref('stg_support__tickets') }} where not is_deleted
    union all
    select max(rated_at) from {{ ref('stg_support__satisfaction_ratings') }}
    union all
    select max(occurred_at) from {{ ref('stg_email__events') }}
    union all
    select max(occurred_at) from {{ ref('stg_web__pages') }}
    union all
    select max(occurred_at) from {{ ref('stg_web__tracks') }}

),

reference as (

    select
        {%- if override %}
        cast(('{{ override }}'::date + interval 1 day - interval 1 microsecond) as {{ c360.type_timestamptz() }}) as reference_at,
        {%- else %}
        -- an empty warehouse still gets a reference (the model never returns no row)
        coalesce(max(observed_at), cast('1970-01-01' as {{ c360.type_timestamptz() }})) as reference_at,
        {%- endif %}
        {{ "'var'" if override else "'data'" }} as reference_origin
    from observed

)

select
    reference_at,
    {{ c360.utc_date('reference_at') }} as reference_date,
    reference_origin
from reference
