-- Per customer, the top var recommendation_count products they have not bought yet, from what they bought and
-- product_affinities: every product P the customer bought proposes each paired product Q with lift > 1 (bought
-- with P more often than chance). A candidate Q keeps its strongest reason, the bought P with the highest
-- confidence P -> Q (ties: higher lift, then the lower product id); candidates rank by that confidence, then
-- lift, then how many of the customer's products point to Q, then product id (deterministic).
-- Customers without a valid order, or whose products have no affinity, get no row.

with

purchases as (

    select distinct orders.customer_id, items.product_id
    from {{ ref('int_crm_orders_attributed') }} as orders
    inner join {{ ref('stg_sales__order_items') }} as items on items.order_id = orders.order_id
    where orders.is_valid and items.product_id is not null

),

affinities as (

    select product_id, paired_product_id, support, confidence, lift
    from {{ ref('product_affinities') }}
    where lift > 1

),

candidates as (

    select
        purchases.customer_id,
        affinities.paired_product_id as product_id,
        affinities.product_id as because_of_product_id,
        affinities.support,
        affinities.confidence,
        affinities.lift,
        count(*) over (partition by purchases.customer_id, affinities.paired_product_id) as supporting_products
    from purchases
    inner join affinities on affinities.product_id = purchases.product_id
    where not exists (
        select 1 from purchases as bought
        where bought.customer_id = purchases.customer_id and bought.product_id = affinities.paired_product_id
    )

),

strongest as (

    select *
    from candidates
    qualify row_number() over (
        partition by customer_id, product_id
        order by confidence desc, lift desc, because_of_product_id
    ) = 1

),

ranked as (

    select
        *,
        row_number() over (
            partition by customer_id
            order by confidence desc, lift desc, supporting_products desc, product_id
        ) as recommendation_rank
    from strongest

),

products as (

    select product_id, product_name, category, price from {{ ref('stg_sales__products') }}

)

select
    ranked.customer_id,
    ranked.recommendation_rank,
    ranked.product_id,
    products.product_name,
    products.category,
    products.price,
    ranked.because_of_product_id,
    because.product_name as because_of_product_name,
    ranked.confidence,
    ranked.lift,
    ranked.support,
    ranked.supporting_products::integer as supporting_products,
    'bought ' || coalesce(because.product_name, 'product ' || ranked.because_of_product_id) || ': '
        || round(ranked.confidence * 100)::integer || '% of orders with it also had '
        || coalesce(products.product_name, 'product ' || ranked.product_id)
        || ' (' || round(ranked.lift, 1) || 'x as often as chance)' as reason
from ranked
left join products on products.product_id = ranked.product_id
left join products as because on because.product_id = ranked.because_of_product_id
where ranked.recommendation_rank <= {{ var('recommendation_count') }}
