-- customer_value's revenue and margin are customer_360's, and add up from the valid orders of
-- int_crm_orders_attributed (one attribution path for every CRM mart).

with

orders as (

    select customer_id, sum(total) as revenue, sum(gross_margin) as gross_margin, count(*) as order_count
    from {{ ref('int_crm_orders_attributed') }}
    where is_valid
    group by customer_id

)

select value.customer_id, value.revenue, orders.revenue as orders_revenue, value.gross_margin, orders.gross_margin as orders_margin
from {{ ref('customer_value') }} as value
left join orders on orders.customer_id = value.customer_id
where value.revenue <> coalesce(orders.revenue, 0)
    or value.gross_margin <> coalesce(orders.gross_margin, 0)
    or value.order_count <> coalesce(orders.order_count, 0)
