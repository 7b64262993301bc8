{%- set cols = c360.source_columns('support', 'tickets') -%}

with

source as (

    select * from {{ c360.source_relation('support', 'tickets') }}

),

latest as (

    select *
    from source
    qualify row_number() over (partition by id order by updated_at desc, _dlt_load_id desc) = 1

),

renamed as (

    select
        cast(id as {{ dbt.type_string() }}) as ticket_id,
        _dlt_id as ticket_dlt_id,
        cast(requester_id as {{ dbt.type_string() }}) as requester_id,
        {{ c360.optional_column(cols, 'assignee_id', 'varchar') }},
        lower(status) as status,
        lower(status) in ('new', 'open', 'pending', 'hold') as is_open,
        lower(status) in ('solved', 'closed') as is_solved,
        -- Zendesk's incremental export keeps deleted tickets (status deleted): kept here, left out of facts
        lower(status) = 'deleted' as is_deleted,
        {{ c360.optional_column(cols, 'priority', 'varchar') }},
        {{ c360.optional_column(cols, 'type', 'varchar', 'ticket_type') }},
        {{ c360.optional_column(cols, 'via__channel', 'varchar', 'channel') }},
        {{ c360.optional_column(cols, 'subject', 'varchar') }},
        cast(created_at as {{ c360.type_timestamptz() }}) as created_at,
        cast(updated_at as {{ c360.type_timestamptz() }}) as updated_at,
        -- Zendesk's ticket object has no solve time (it lives in ticket_metrics); a solved ticket's last update is
        -- its solve time unless the export carries solved_at.
        case
            when lower(status) in ('solved', 'closed')
                then coalesce({{ c360.optional_value(cols, ['metric_set__solved_at', 'solved_at'], 'timestamptz') }}, cast(updated_at as {{ c360.type_timestamptz() }}))
        end as solved_at,
        -- Zendesk's ticket metrics (the metric_set side-loaded with include=metric_sets): calendar minutes to the
        -- first agent reply and to full resolution, reopens and agent replies; null when Zendesk sent none
        -- (deleted and archived tickets have no metric set)
        {{ c360.optional_column(cols, 'metric_set__reply_time_in_minutes__calendar', 'double', 'first_reply_minutes') }},
        {{ c360.optional_column(cols, 'metric_set__full_resolution_time_in_minutes__calendar', 'double', 'full_resolution_minutes') }},
        {{ c360.optional_column(cols, 'metric_set__reopens', 'integer', 'reopen_count') }},
        {{ c360.optional_column(cols, 'metric_set__replies', 'integer', 'agent_reply_count') }},
        _dlt_load_id

    from latest

)

select * from renamed
