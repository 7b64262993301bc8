-- product_affinities reconciles with the orders: every pair's counts, recounted order by order from the valid orders'
-- lines with a different formulation (a count per pair instead of the model's grouped self-join; correlated one level
-- deep, as Spark requires), and the number of
-- baskets. Returns the pairs whose figures differ.

with

valid_lines as (

    select items.order_id, items.product_id
    from {{ ref('stg_sales__order_items') }} as items
    inner join {{ ref('int_crm_orders_attributed') }} as orders on orders.order_id = items.order_id
    where orders.is_valid and items.product_id is not null

),

recount as (

    select
        affinities.product_id,
        affinities.paired_product_id,
        affinities.co_order_count,
        affinities.order_count,
        affinities.basket_count,
        (select count(distinct l.order_id)
         from valid_lines as l
         inner join valid_lines as p on p.order_id = l.order_id
         where l.product_id = affinities.product_id and p.product_id = affinities.paired_product_id
        ) as orders_with_both,
        (select count(distinct l.order_id) from valid_lines as l where l.product_id = affinities.product_id)
            as orders_with_product,
        (select count(distinct order_id) from valid_lines) as baskets
    from {{ ref('product_affinities') }} as affinities

)

select *
from recount
where co_order_count <> orders_with_both
    or order_count <> orders_with_product
    or basket_count <> baskets
