-- Web facts per customer: sessions (30-minute inactivity rule), page views and last visit, over every cookie
-- and login the customer's identity cluster holds.

with

assignments as (

    select node_key, customer_id from {{ ref('int_customer_ids_assigned') }}

)

select
    assignments.customer_id,
    count(*) as web_session_count,
    sum(sessions.page_view_count)::bigint as page_view_count,
    sum(sessions.track_event_count)::bigint as track_event_count,
    min(sessions.session_started_at) as first_visit_at,
    max(sessions.session_ended_at) as last_visit_at
from {{ ref('int_web_sessions_sessionized') }} as sessions
inner join assignments on assignments.node_key = sessions.visitor_node_key
group by assignments.customer_id
