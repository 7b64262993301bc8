{%- set cols = c360.source_columns('web', 'screens') -%}

with

calls as (

    select * from {{ c360.segment_calls('screens') }}

),

renamed as (

    select
        message_id as screen_id,
        -- the screen's name: the call's name, or properties.name as some mobile libraries send it
        {{ c360.optional_column(cols, ['name', 'properties__name'], 'varchar', 'screen_name') }},
        {{ c360.optional_column(cols, 'context__app__name', 'varchar', 'app_name') }},
        {{ c360.optional_column(cols, 'context__device__type', 'varchar', 'device_type') }},
        {{ c360.segment_common_fields(cols) }}

    from calls

)

select * from renamed
