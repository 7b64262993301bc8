{%- set cols = c360.source_columns('web', 'pages') -%}

with

calls as (

    select * from {{ c360.segment_calls('pages') }}

),

renamed as (

    select
        message_id as page_id,
        {{ c360.optional_column(cols, 'name', 'varchar', 'page_name') }},
        {{ c360.segment_common_fields(cols) }}

    from calls

)

select * from renamed
