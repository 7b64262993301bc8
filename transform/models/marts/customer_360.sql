-- The golden record: one row per customer (identity cluster), with the surviving value of every attribute and
-- where it came from (<field>__source, <field>__source_record_id, <field>__updated_at), and the 360 facts.
-- Clusters made only of support agents are staff, not customers, and are left out.

{%- set fields = ['first_name', 'last_name', 'email', 'phone', 'birth_date', 'gender', 'address'] %}

with

nodes as (

    select
        assignments.customer_id,
        nodes.source,
        nodes.is_staff,
        nodes.first_seen_at,
        nodes.last_seen_at
    from {{ ref('int_identity_nodes') }} as nodes
    inner join {{ ref('int_customer_ids_assigned') }} as assignments using (node_key)

),

customers as (

    select
        customer_id,
        count(*) as source_record_count,
        count(*) filter (where source = 'sales') as sales_record_count,
        count(*) filter (where source = 'support') as support_record_count,
        count(*) filter (where source = 'email') as email_address_count,
        count(*) filter (where source = 'web_user') as web_user_count,
        count(*) filter (where source = 'web_anonymous') as web_anonymous_count,
        min(first_seen_at) as first_seen_at,
        max(last_seen_at) as last_seen_at
    from nodes
    group by customer_id
    having not bool_and(is_staff)

),

attributes as (

    select
        customer_id,
        {%- for field in fields %}
        max(value) filter (where field = '{{ field }}') as {{ field }},
        max(source) filter (where field = '{{ field }}') as {{ field }}__source,
        max(source_record_id) filter (where field = '{{ field }}') as {{ field }}__source_record_id,
        max(updated_at) filter (where field = '{{ field }}') as {{ field }}__updated_at{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref('int_customer_attributes_survived') }}
    group by customer_id

),

orders as (select * from {{ ref('int_customer_orders_aggregated') }}),
web as (select * from {{ ref('int_customer_web_activity_aggregated') }}),
email as (select * from {{ ref('int_customer_email_engagement_aggregated') }}),
tickets as (select * from {{ ref('int_customer_tickets_aggregated') }}),
accounts as (select * from {{ ref('int_customer_accounts_latest') }})

select
    customers.customer_id,

    attributes.first_name,
    attributes.last_name,
    attributes.email,
    attributes.phone,
    {{ c360.json_extract_string('attributes.address', 'street') }} as street,
    {{ c360.json_extract_string('attributes.address', 'city') }} as city,
    {{ c360.json_extract_string('attributes.address', 'postal_code') }} as postal_code,
    {{ c360.json_extract_string('attributes.address', 'country') }} as country,
    attributes.birth_date::date as birth_date,
    attributes.gender,

    {%- for field in fields %}
    attributes.{{ field }}__source,
    attributes.{{ field }}__source_record_id,
    attributes.{{ field }}__updated_at,
    {%- endfor %}

    -- the account (company) the customer belongs to, from Segment group calls
    accounts.account_id,
    accounts.account_name,
    accounts.account_industry,
    accounts.account_plan,

    customers.source_record_count,
    customers.sales_record_count,
    customers.support_record_count,
    customers.email_address_count,
    customers.web_user_count,
    customers.web_anonymous_count,
    least(customers.first_seen_at, orders.first_order_at, web.first_visit_at, email.first_email_event_at, tickets.first_ticket_at) as first_seen_at,
    greatest(customers.last_seen_at, orders.last_order_at, web.last_visit_at, email.last_email_event_at, tickets.last_ticket_at) as last_seen_at,

    coalesce(orders.order_count, 0) as order_count,
    coalesce(orders.revenue, 0)::decimal(18, 2) as revenue,
    coalesce(orders.gross_margin, 0)::decimal(18, 2) as gross_margin,
    orders.average_order_value,
    orders.first_order_at,
    orders.last_order_at,

    coalesce(web.web_session_count, 0) as web_session_count,
    coalesce(web.page_view_count, 0) as page_view_count,
    web.last_visit_at,

    coalesce(email.emails_delivered, 0) as emails_delivered,
    coalesce(email.emails_opened, 0) as emails_opened,
    coalesce(email.emails_clicked, 0) as emails_clicked,
    coalesce(email.emails_bounced, 0) as emails_bounced,
    coalesce(email.emails_blocked, 0) as emails_blocked,
    coalesce(email.emails_unsubscribed, 0) as emails_unsubscribed,
    coalesce(email.emails_group_unsubscribed, 0) as emails_group_unsubscribed,
    coalesce(email.email_groups_unsubscribed, 0) as email_groups_unsubscribed,
    coalesce(email.emails_complained, 0) as emails_complained,
    coalesce(email.email_addresses_undeliverable, 0) as email_addresses_undeliverable,

    coalesce(tickets.ticket_count, 0) as ticket_count,
    coalesce(tickets.tickets_open, 0) as tickets_open,
    coalesce(tickets.tickets_solved, 0) as tickets_solved,
    tickets.median_resolution_hours,
    coalesce(tickets.good_rating_count, 0) as good_rating_count,
    coalesce(tickets.bad_rating_count, 0) as bad_rating_count,
    tickets.csat

from customers
left join attributes using (customer_id)
left join orders using (customer_id)
left join web using (customer_id)
left join email using (customer_id)
left join tickets using (customer_id)
left join accounts using (customer_id)
