{%- set cols = c360.source_columns('email', 'events') -%}

with

source as (

    select * from {{ source('email', 'events') }}

),

deduplicated as (

    -- SendGrid delivers at least once; the load already keeps one row per sg_event_id, this guards reloads
    select *
    from source
    qualify row_number() over (partition by sg_event_id order by _dlt_load_id) = 1

),

renamed as (

    select
        sg_event_id as email_event_id,
        {{ c360.optional_column(cols, 'sg_message_id', 'varchar', 'email_message_id') }},
        -- verbatim, as the identity node of source `email`
        email as email_address,
        {{ normalize_email('email') }} as email,
        lower(event) as event_type,
        to_timestamp(timestamp::bigint) as occurred_at,
        coalesce({{ c360.optional_value(cols, 'sg_machine_open', 'boolean') }}, false) as is_machine_open,
        {{ c360.optional_column(cols, 'url', 'varchar') }},
        {{ c360.optional_column(cols, 'reason', 'varchar') }},
        {{ c360.optional_column(cols, 'type', 'varchar', 'bounce_type') }},
        {{ c360.optional_column(cols, 'useragent', 'varchar', 'user_agent') }},
        {{ c360.optional_column(cols, 'ip', 'varchar') }},
        _dlt_id as email_event_dlt_id,
        _dlt_load_id,

    from deduplicated

)

select * from renamed
