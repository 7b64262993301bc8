-- One row per customer of customer_360: what the customer brought (revenue, cost of goods, gross margin), what
-- serving them cost (support), the historical CLV, and a simple, deterministic forecast (churn risk, 12-month CLV).
--
-- cost_to_serve        = tickets x var('crm_cost_per_ticket') + agent replies x var('crm_cost_per_agent_reply')
-- historical_clv       = gross_margin - cost_to_serve
-- purchase_interval    = the customer's mean gap between valid orders, (last - first) / (orders - 1), shrunk towards
--                        the median gap of all repeat buyers M (var('crm_default_purchase_interval_days') if none):
--                        ((orders - 1) x own gap + k x M) / ((orders - 1) + k), k = var('crm_interval_prior_weight');
--                        a one-order buyer gets M; never less than one day
-- churn_risk           = 1 - exp(-max(0, days since last order - purchase_interval) / purchase_interval):
--                        no risk while the customer is within their usual gap, then 63% after one more gap,
--                        86% after two (the chance a Poisson buyer at that rate would have bought by now)
-- predicted_clv        = margin per order x (horizon / purchase_interval) x (1 - churn_risk)

{%- set horizon_days = var('crm_clv_horizon_days') %}
{%- set k = var('crm_interval_prior_weight') %}

with

reference as (

    select reference_at from {{ ref('int_crm_reference_dates') }}

),

customers as (

    select customer_id, order_count, revenue, gross_margin, first_order_at, last_order_at
    from {{ ref('customer_360') }}

),

support as (

    select
        customer_id,
        count(*) as ticket_count,
        sum(agent_reply_count)::bigint as agent_reply_count
    from {{ ref('int_crm_tickets_attributed') }}
    group by customer_id

),

intervals as (

    select
        customers.*,
        case
            when customers.order_count >= 2
                then {{ c360.seconds_between('customers.first_order_at', 'customers.last_order_at') }} / 86400.0 / (customers.order_count - 1)
        end as observed_interval_days,
        greatest(0, {{ c360.seconds_between('customers.last_order_at', 'reference.reference_at') }} / 86400.0) as days_since_last_order
    from customers
    cross join reference

),

population as (

    select
        coalesce(
            median(observed_interval_days) filter (where observed_interval_days > 0),
            {{ var('crm_default_purchase_interval_days') }}
        ) as median_interval_days
    from intervals

),

forecast as (

    select
        intervals.*,
        case
            when intervals.order_count = 1 then population.median_interval_days
            when intervals.order_count > 1 then greatest(1.0,
                ((intervals.order_count - 1) * intervals.observed_interval_days + {{ k }} * population.median_interval_days)
                / ((intervals.order_count - 1) + {{ k }})
            )
        end as purchase_interval_days
    from intervals
    cross join population

),

scored as (

    select
        forecast.*,
        coalesce(support.ticket_count, 0) as ticket_count,
        coalesce(support.agent_reply_count, 0) as agent_reply_count,
        case
            when forecast.order_count > 0
                then 1 - exp(-greatest(0, forecast.days_since_last_order - forecast.purchase_interval_days) / forecast.purchase_interval_days)
        end as churn_risk_exact
    from forecast
    left join support on support.customer_id = forecast.customer_id

)

select
    customer_id,

    order_count,
    revenue::decimal(18, 2) as revenue,
    (revenue - gross_margin)::decimal(18, 2) as cost_of_goods,
    gross_margin::decimal(18, 2) as gross_margin,
    case when order_count > 0 then (gross_margin / order_count)::decimal(18, 2) end as margin_per_order,

    ticket_count,
    agent_reply_count,
    (ticket_count * {{ var('crm_cost_per_ticket') }} + agent_reply_count * {{ var('crm_cost_per_agent_reply') }})::decimal(18, 2)
        as cost_to_serve,
    (gross_margin - (ticket_count * {{ var('crm_cost_per_ticket') }} + agent_reply_count * {{ var('crm_cost_per_agent_reply') }}))::decimal(18, 2)
        as historical_clv,

    first_order_at,
    last_order_at,
    case when order_count > 0 then round(days_since_last_order, 1) end as days_since_last_order,
    round(purchase_interval_days, 1) as purchase_interval_days,
    round(observed_interval_days, 1) as observed_interval_days,
    case when order_count > 0 then round({{ horizon_days }} / purchase_interval_days, 3) end as expected_orders,
    round(churn_risk_exact, 4) as churn_risk,
    coalesce(
        (gross_margin / nullif(order_count, 0)) * ({{ horizon_days }} / purchase_interval_days) * (1 - churn_risk_exact),
        0
    )::decimal(18, 2) as predicted_clv

from scored
