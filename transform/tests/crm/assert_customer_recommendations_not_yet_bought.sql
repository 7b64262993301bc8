-- A recommendation is never a product the customer already bought in a valid order, and its reason is a product
-- the customer did buy.

with

bought as (

    select distinct orders.customer_id, items.product_id
    from {{ ref('int_crm_orders_attributed') }} as orders
    inner join {{ ref('stg_sales__order_items') }} as items on items.order_id = orders.order_id
    where orders.is_valid

)

select recommendations.customer_id, recommendations.product_id, recommendations.because_of_product_id
from {{ ref('customer_recommendations') }} as recommendations
where exists (
        select 1 from bought
        where bought.customer_id = recommendations.customer_id and bought.product_id = recommendations.product_id
    )
    or not exists (
        select 1 from bought
        where bought.customer_id = recommendations.customer_id
            and bought.product_id = recommendations.because_of_product_id
    )
