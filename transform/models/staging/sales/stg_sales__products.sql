with

source as (

    select * from {{ c360.source_relation('sales', 'products') }}

),

latest as (

    select *
    from source
    qualify row_number() over (partition by id order by updated_at desc, _dlt_load_id desc) = 1

),

renamed as (

    select
        cast(id as {{ dbt.type_string() }}) as product_id,
        name as product_name,
        category,
        price::decimal(18, 2) as price,
        cost::decimal(18, 2) as cost,
        cast(created_at as {{ c360.type_timestamptz() }}) as created_at,
        cast(updated_at as {{ c360.type_timestamptz() }}) as updated_at,
        _dlt_load_id

    from latest

)

select * from renamed
