{%- set cols = c360.source_columns('web', 'tracks') -%}

with

source as (

    select * from {{ c360.source_relation('web', 'tracks') }}

),

deduplicated as (

    select *
    from source
    qualify row_number() over (partition by message_id order by _dlt_load_id) = 1

),

renamed as (

    select
        message_id as track_id,
        nullif(trim({{ c360.optional_value(cols, 'user_id', 'varchar') }}), '') as user_id,
        nullif(trim({{ c360.optional_value(cols, 'anonymous_id', 'varchar') }}), '') as anonymous_id,
        {{ c360.optional_column(cols, 'event', 'varchar', 'event_name') }},
        timestamp::timestamptz as occurred_at,
        {{ c360.optional_column(cols, 'received_at', 'timestamptz') }},
        {{ c360.optional_column(cols, ['properties__url', 'context__page__url'], 'varchar', 'url') }},
        {{ c360.optional_column(cols, ['properties__path', 'context__page__path'], 'varchar', 'path') }},
        {{ c360.optional_column(cols, ['properties__referrer', 'context__page__referrer'], 'varchar', 'referrer') }},
        {{ c360.optional_column(cols, 'context__user_agent', 'varchar', 'user_agent') }},
        _dlt_load_id,

    from deduplicated

)

select * from renamed
