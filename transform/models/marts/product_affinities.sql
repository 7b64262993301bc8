-- Product pairs bought together: association rules "orders with product_id also have paired_product_id",
-- computed set-based over the baskets (one basket = one valid order of a known customer, its distinct products).
--   support    = orders with both / all baskets
--   confidence = orders with both / orders with product_id           (directional: A -> B differs from B -> A)
--   lift       = confidence / (orders with paired_product_id / all baskets); > 1 = bought together more often
--                than chance, 1 = independent, < 1 = less often
-- A pair is kept when it co-occurs in at least var affinity_min_orders orders (one co-purchase is noise) and its
-- support is at least var affinity_min_support. Valid orders only (var invalid_order_statuses), the revenue rule.

with

valid_orders as (

    select order_id from {{ ref('int_crm_orders_attributed') }}
    where is_valid

),

baskets as (

    select distinct items.order_id, items.product_id
    from {{ ref('stg_sales__order_items') }} as items
    inner join valid_orders on valid_orders.order_id = items.order_id
    where items.product_id is not null

),

basket_count as (

    select count(distinct order_id) as basket_count from baskets

),

product_orders as (

    select product_id, count(*) as order_count from baskets group by product_id

),

pairs as (

    select
        left_side.product_id,
        right_side.product_id as paired_product_id,
        count(*) as co_order_count
    from baskets as left_side
    inner join baskets as right_side
        on right_side.order_id = left_side.order_id
        and right_side.product_id <> left_side.product_id
    group by all

),

products as (

    select product_id, product_name from {{ ref('stg_sales__products') }}

),

rules as (

    select
        pairs.product_id,
        products.product_name,
        pairs.paired_product_id,
        paired.product_name as paired_product_name,
        antecedent.order_count,
        consequent.order_count as paired_order_count,
        pairs.co_order_count,
        basket_count.basket_count,
        pairs.co_order_count / basket_count.basket_count as support,
        pairs.co_order_count / antecedent.order_count as confidence,
        (pairs.co_order_count / antecedent.order_count)
            / (consequent.order_count / basket_count.basket_count) as lift
    from pairs
    cross join basket_count
    inner join product_orders as antecedent on antecedent.product_id = pairs.product_id
    inner join product_orders as consequent on consequent.product_id = pairs.paired_product_id
    left join products on products.product_id = pairs.product_id
    left join products as paired on paired.product_id = pairs.paired_product_id

)

select
    product_id,
    product_name,
    paired_product_id,
    paired_product_name,
    order_count,
    paired_order_count,
    co_order_count,
    basket_count,
    round(support, 6)::double as support,
    round(confidence, 6)::double as confidence,
    round(lift, 6)::double as lift
from rules
where co_order_count >= {{ var('affinity_min_orders') }}
    and support >= {{ var('affinity_min_support') }}
