with

source as (

    select * from {{ c360.source_relation('sales', 'orders') }}

),

latest as (

    select *
    from source
    qualify row_number() over (partition by id order by updated_at desc, _dlt_load_id desc) = 1

),

renamed as (

    select
        cast(id as {{ dbt.type_string() }}) as order_id,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        lower(trim(status)) as status,
        -- "valid" = counts as revenue: every status except those in var('invalid_order_statuses')
        lower(trim(status)) not in (
            {%- for s in var('invalid_order_statuses') %}'{{ s }}'{{ ', ' if not loop.last }}{% endfor -%}
        ) as is_valid,
        upper(currency) as currency,
        subtotal::decimal(18, 2) as subtotal,
        discount::decimal(18, 2) as discount,
        total::decimal(18, 2) as total,
        cast(created_at as {{ c360.type_timestamptz() }}) as ordered_at,
        cast(updated_at as {{ c360.type_timestamptz() }}) as updated_at,
        _dlt_load_id

    from latest

)

select * from renamed
