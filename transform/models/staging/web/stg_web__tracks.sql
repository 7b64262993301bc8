{%- set cols = c360.source_columns('web', 'tracks') -%}

with

calls as (

    select * from {{ c360.segment_calls('tracks') }}

),

renamed as (

    select
        message_id as track_id,
        {{ c360.optional_column(cols, 'event', 'varchar', 'event_name') }},
        {{ c360.segment_common_fields(cols) }}

    from calls

)

select * from renamed
