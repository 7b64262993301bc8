-- Order facts per customer: valid orders only (stg_sales__orders.is_valid: not cancelled or refunded).
-- revenue = sum of order totals (after discount); gross margin = revenue - cost of the goods (quantity x unit cost).

with

assignments as (

    select node_key, customer_id from {{ ref('int_customer_ids_assigned') }}

),

orders as (

    select * from {{ ref('stg_sales__orders') }}
    where is_valid and customer_id is not null

),

order_costs as (

    select order_id, sum(quantity * unit_cost) as cost_of_goods
    from {{ ref('stg_sales__order_items') }}
    group by order_id

)

select
    assignments.customer_id,
    count(*) as order_count,
    sum(orders.total)::decimal(18, 2) as revenue,
    (sum(orders.total) - sum(coalesce(order_costs.cost_of_goods, 0)))::decimal(18, 2) as gross_margin,
    (sum(orders.total) / count(*))::decimal(18, 2) as average_order_value,
    min(orders.ordered_at) as first_order_at,
    max(orders.ordered_at) as last_order_at
from orders
inner join assignments on assignments.node_key = 'sales:' || orders.customer_id
left join order_costs using (order_id)
group by assignments.customer_id
