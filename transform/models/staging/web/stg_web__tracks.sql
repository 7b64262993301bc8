{{
    config(
        materialized=c360.incremental_materialization('view'),
        unique_key='track_id',
        incremental_strategy='delete+insert',
    )
}}

{#- Incremental on DuckDB (macro incremental_materialization, a view on Spark): de-duplicated once, then only the events first
    delivered in new loads are added, so the models reading the new loads of this table do not de-duplicate all of it. #}

{%- set cols = c360.source_columns('web', 'tracks') -%}

with

calls as (

    select * from {{ c360.segment_calls('tracks', 'track_id') }}

),

renamed as (

    select
        message_id as track_id,
        {{ c360.optional_column(cols, 'event', 'varchar', 'event_name') }},
        {{ c360.segment_common_fields(cols) }}

    from calls

)

select * from renamed
