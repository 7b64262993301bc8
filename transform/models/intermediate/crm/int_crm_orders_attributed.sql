-- Every order (valid or not) with the customer it belongs to (through identity_map) and its cost and margin.
-- Valid = not in var('invalid_order_statuses') (stg_sales__orders.is_valid); only valid orders count as revenue,
-- the same rule as customer_360, so these margins add up to customer_360.gross_margin.

with

orders as (

    select * from {{ ref('stg_sales__orders') }}
    where customer_id is not null

),

order_costs as (

    select
        order_id,
        sum(quantity * unit_cost) as cost_of_goods,
        sum(quantity) as item_quantity
    from {{ ref('stg_sales__order_items') }}
    group by order_id

),

identities as (

    select source_record_id, customer_id
    from {{ ref('identity_map') }}
    where source = 'sales'

)

select
    orders.order_id,
    identities.customer_id,
    orders.customer_id as sales_customer_id,
    orders.status,
    orders.is_valid,
    orders.currency,
    orders.total,
    coalesce(order_costs.cost_of_goods, 0)::decimal(18, 2) as cost_of_goods,
    (orders.total - coalesce(order_costs.cost_of_goods, 0))::decimal(18, 2) as gross_margin,
    coalesce(order_costs.item_quantity, 0)::bigint as item_quantity,
    orders.ordered_at,
    cast(date_trunc('month', {{ c360.utc_date('orders.ordered_at') }}) as date) as order_month,
    orders._dlt_load_id
from orders
inner join identities on identities.source_record_id = orders.customer_id
left join order_costs on order_costs.order_id = orders.order_id
