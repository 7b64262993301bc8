with

source as (

    select * from {{ c360.source_relation('sales', 'order_items') }}

),

latest as (

    select *
    from source
    qualify row_number() over (partition by id order by updated_at desc, _dlt_load_id desc) = 1

),

renamed as (

    select
        cast(id as {{ dbt.type_string() }}) as order_item_id,
        cast(order_id as {{ dbt.type_string() }}) as order_id,
        cast(product_id as {{ dbt.type_string() }}) as product_id,
        quantity::integer as quantity,
        unit_price::decimal(18, 2) as unit_price,
        unit_cost::decimal(18, 2) as unit_cost,
        (quantity * unit_price)::decimal(18, 2) as line_revenue,
        (quantity * (unit_price - unit_cost))::decimal(18, 2) as line_margin,
        cast(created_at as {{ c360.type_timestamptz() }}) as created_at,
        cast(updated_at as {{ c360.type_timestamptz() }}) as updated_at,
        _dlt_load_id

    from latest

)

select * from renamed
