{%- set cols = c360.relation_columns(source('support', 'tickets')) -%}

-- Every ticket with the customer who asked (the requester, through identity_map) and Zendesk's ticket metrics
-- (the metric_set the incremental ticket export side-loads): minutes to the first agent reply, to full resolution,
-- reopens and agent replies. stg_support__tickets does not carry the metric fields, so they are read from the very
-- raw row staging kept (matched on _dlt_id); a field the export never carried is null (macros/source_columns.sql).
-- Resolution falls back to solved_at - created_at when the metric is missing.

with

tickets as (

    select * from {{ ref('stg_support__tickets') }}

),

metrics as (

    select
        _dlt_id as ticket_dlt_id,
        {{ c360.optional_value(cols, 'metric_set__reply_time_in_minutes__calendar', 'double') }} as first_reply_minutes,
        {{ c360.optional_value(cols, 'metric_set__full_resolution_time_in_minutes__calendar', 'double') }} as full_resolution_minutes,
        {{ c360.optional_value(cols, 'metric_set__reopens', 'integer') }} as reopen_count,
        {{ c360.optional_value(cols, 'metric_set__replies', 'integer') }} as agent_reply_count,
    from {{ c360.source_relation('support', 'tickets') }}

),

identities as (

    select source_record_id, customer_id
    from {{ ref('identity_map') }}
    where source = 'support'

)

select
    tickets.ticket_id,
    identities.customer_id,
    tickets.requester_id,
    tickets.status,
    tickets.is_open,
    tickets.is_solved,
    tickets.channel,
    tickets.priority,
    tickets.ticket_type,
    tickets.created_at,
    tickets.solved_at,
    date_trunc('month', tickets.created_at at time zone 'UTC')::date as ticket_month,
    metrics.first_reply_minutes,
    case
        when not tickets.is_solved then null
        when metrics.full_resolution_minutes is not null then metrics.full_resolution_minutes / 60.0
        when tickets.solved_at >= tickets.created_at then epoch(tickets.solved_at - tickets.created_at) / 3600.0
    end as resolution_hours,
    coalesce(metrics.reopen_count, 0) as reopen_count,
    coalesce(metrics.reopen_count, 0) > 0 as is_reopened,
    coalesce(metrics.agent_reply_count, 0) as agent_reply_count,
    tickets._dlt_load_id,
from tickets
inner join identities on identities.source_record_id = tickets.requester_id
left join metrics on metrics.ticket_dlt_id = tickets.ticket_dlt_id
