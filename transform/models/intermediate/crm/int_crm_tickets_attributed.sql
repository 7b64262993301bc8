-- Every ticket with the customer who asked (the requester, through identity_map) and Zendesk's ticket metrics
-- (stg_support__tickets, from the metric set the ticket export side-loads): minutes to the first agent reply, to
-- full resolution, reopens and agent replies. Resolution falls back to solved_at - created_at when the metric is
-- missing. Deleted tickets are left out (they are no support given); so are the tickets of deleted users, who are
-- not in identity_map.

with

tickets as (

    select * from {{ ref('stg_support__tickets') }}
    where not is_deleted

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
    cast(date_trunc('month', {{ c360.utc_date('tickets.created_at') }}) as date) as ticket_month,
    tickets.first_reply_minutes,
    case
        when not tickets.is_solved then null
        when tickets.full_resolution_minutes is not null then tickets.full_resolution_minutes / 60.0
        when tickets.solved_at >= tickets.created_at then {{ c360.seconds_between('tickets.created_at', 'tickets.solved_at') }} / 3600.0
    end as resolution_hours,
    coalesce(tickets.reopen_count, 0) as reopen_count,
    coalesce(tickets.reopen_count, 0) > 0 as is_reopened,
    coalesce(tickets.agent_reply_count, 0) as agent_reply_count,
    tickets._dlt_load_id
from tickets
inner join identities on identities.source_record_id = tickets.requester_id
