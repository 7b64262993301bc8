-- One row per customer of customer_360: RFM scores and segment, lifecycle stage and CRM phase, value tier and
-- demographic bands, all as of int_crm_reference_dates (the latest touch in the data, not today).
--
-- RFM over the customers with at least one valid order ("buyers"): recency = last valid order (later = better),
-- frequency = valid orders, monetary = revenue. Each score is the buyer's quintile, 1 + floor(5 x share of buyers
-- ranked strictly below), i.e. ntile(5) except that equal values always share a score (ntile would split a tie
-- of one-order customers over two scores by an arbitrary order). The segment is the cell of seed
-- crm_rfm_segments for (recency_score, round((frequency_score + monetary_score) / 2)).
-- Customers without a valid order have null scores and segment 'Prospect'.

{%- set new_days = var('crm_new_customer_days') %}
{%- set active_days = var('crm_active_days') %}
{%- set churn_days = var('crm_churn_days') %}

with

reference as (

    select reference_at, reference_date from {{ ref('int_crm_reference_dates') }}

),

customers as (

    select
        customer_id,
        order_count,
        revenue,
        gross_margin,
        first_order_at,
        last_order_at,
        birth_date,
        country
    from {{ ref('customer_360') }}

),

buyers as (

    select
        customer_id,
        count(*) over () as buyer_count,
        rank() over (order by last_order_at) as recency_rank,
        rank() over (order by order_count) as frequency_rank,
        rank() over (order by revenue) as monetary_rank,
        rank() over (order by gross_margin desc) as margin_rank
    from customers
    where order_count > 0

),

scored as (

    select
        customer_id,
        1 + floor(5.0 * (recency_rank - 1) / buyer_count)::integer as recency_score,
        1 + floor(5.0 * (frequency_rank - 1) / buyer_count)::integer as frequency_score,
        1 + floor(5.0 * (monetary_rank - 1) / buyer_count)::integer as monetary_score,
        -- share of buyers with a strictly higher gross margin: 0 for the best
        (margin_rank - 1)::double / buyer_count as margin_share_above
    from buyers

),

segment_map as (

    select recency_score, frequency_monetary_score, segment from {{ ref('crm_rfm_segments') }}

),

enriched as (

    select
        customers.*,
        scored.recency_score,
        scored.frequency_score,
        scored.monetary_score,
        round((scored.frequency_score + scored.monetary_score) / 2.0)::integer as frequency_monetary_score,
        scored.margin_share_above,
        reference.reference_date,
        greatest(0, {{ c360.date_diff('day', c360.utc_date('customers.first_order_at'), 'reference.reference_date') }})
            as days_since_first_order,
        greatest(0, {{ c360.date_diff('day', c360.utc_date('customers.last_order_at'), 'reference.reference_date') }})
            as days_since_last_order,
        -- full years: one less when the birthday has not come yet in the reference year
        year(reference.reference_date) - year(customers.birth_date)
            - case when {{ c360.format_date('reference.reference_date', '%m%d') }} < {{ c360.format_date('customers.birth_date', '%m%d') }} then 1 else 0 end
            as age_years
    from customers
    cross join reference
    left join scored on scored.customer_id = customers.customer_id

),

classified as (

    select
        enriched.*,
        case
            when enriched.order_count = 0 then 'prospect'
            when enriched.days_since_first_order <= {{ new_days }} then 'new'
            when enriched.days_since_last_order <= {{ active_days }} then 'active'
            when enriched.days_since_last_order <= {{ churn_days }} then 'at risk'
            else 'churned'
        end as lifecycle_stage,
        coalesce(segment_map.segment, 'Prospect') as segment
    from enriched
    left join segment_map
        on segment_map.recency_score = enriched.recency_score
        and segment_map.frequency_monetary_score = enriched.frequency_monetary_score

)

select
    customer_id,
    reference_date,

    recency_score,
    frequency_score,
    monetary_score,
    frequency_monetary_score,
    cast(recency_score as {{ dbt.type_string() }}) || cast(frequency_score as {{ dbt.type_string() }}) || cast(monetary_score as {{ dbt.type_string() }}) as rfm_score,
    segment,

    lifecycle_stage,
    case
        when lifecycle_stage in ('prospect', 'new') then 'acquisition'
        when lifecycle_stage = 'active' then 'enhancement'
        else 'retention'
    end as crm_phase,

    case
        when order_count = 0 then 'none'
        when margin_share_above < {{ var('crm_value_tier_platinum_share') }} then 'platinum'
        when margin_share_above < {{ var('crm_value_tier_gold_share') }} then 'gold'
        when margin_share_above < {{ var('crm_value_tier_silver_share') }} then 'silver'
        else 'bronze'
    end as value_tier,

    case
        when age_years is null or age_years < 0 or age_years > 120 then 'unknown'
        when age_years < 18 then 'under 18'
        when age_years < 25 then '18-24'
        when age_years < 35 then '25-34'
        when age_years < 45 then '35-44'
        when age_years < 55 then '45-54'
        when age_years < 65 then '55-64'
        else '65+'
    end as age_band,
    case when age_years between 0 and 120 then age_years end as age_years,
    coalesce(country, 'unknown') as country,

    order_count,
    revenue,
    gross_margin,
    first_order_at,
    last_order_at,
    case when order_count > 0 then days_since_first_order end as days_since_first_order,
    case when order_count > 0 then days_since_last_order end as days_since_last_order

from classified
