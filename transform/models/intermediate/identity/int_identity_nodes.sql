-- One row per identifying source record (an identity node), with the normalized identifiers that link nodes.
-- Sources are named as in truth.csv: sales, support, email, web_user, web_anonymous.
-- customer_ref is a sales customer id the record claims: its own id (sales), external_id (support) or the
-- Segment userId (web_user).

with

sales as (

    select
        'sales' as source,
        customer_id as source_record_id,
        email, phone, first_name, last_name, first_name_canonical, birth_date, postal_code, street_normalized,
        lower(city) as city,
        customer_id as customer_ref,
        false as is_staff,
        created_at as first_seen_at,
        updated_at as last_seen_at
    from {{ ref('stg_sales__customers') }}

),

support as (

    select
        'support' as source,
        user_id as source_record_id,
        email, phone, first_name, last_name, first_name_canonical, birth_date,
        cast(null as {{ dbt.type_string() }}) as postal_code,
        cast(null as {{ dbt.type_string() }}) as street_normalized,
        cast(null as {{ dbt.type_string() }}) as city,
        external_id as customer_ref,
        -- agents and admins answer tickets: nodes (every record is mapped) that never link to customers
        role in ('agent', 'admin') as is_staff,
        created_at as first_seen_at,
        updated_at as last_seen_at
    from {{ ref('stg_support__users') }}
    -- a deleted Zendesk user (active false) stays in raw and staging but is no customer: no node, so it maps to
    -- no customer and its tickets count nowhere
    where not is_deleted

),

email as (

    select
        'email' as source,
        email_address as source_record_id,
        email,
        cast(null as {{ dbt.type_string() }}) as phone, cast(null as {{ dbt.type_string() }}) as first_name, cast(null as {{ dbt.type_string() }}) as last_name,
        cast(null as {{ dbt.type_string() }}) as first_name_canonical, null::date as birth_date,
        cast(null as {{ dbt.type_string() }}) as postal_code, cast(null as {{ dbt.type_string() }}) as street_normalized, cast(null as {{ dbt.type_string() }}) as city,
        cast(null as {{ dbt.type_string() }}) as customer_ref,
        false as is_staff,
        first_seen_at,
        last_seen_at
    from {{ ref('int_email_addresses_observed') }}

),

web_traits as (

    -- the latest non-null value of each trait a visitor was identified with: per userId for logged-in calls,
    -- per anonymousId for identify calls without a userId (a newsletter sign-up gives the cookie an email)
    select
        coalesce('web_user:' || user_id, 'web_anonymous:' || anonymous_id) as node_key,
        max_by(email, occurred_at) filter (where email is not null) as email,
        max_by(phone, occurred_at) filter (where phone is not null) as phone,
        max_by(first_name, occurred_at) filter (where first_name is not null) as first_name,
        max_by(last_name, occurred_at) filter (where last_name is not null) as last_name,
        max_by(first_name_canonical, occurred_at) filter (where first_name_canonical is not null) as first_name_canonical,
        max_by(birth_date, occurred_at) filter (where birth_date is not null) as birth_date,
        max_by(postal_code, occurred_at) filter (where postal_code is not null) as postal_code,
        max_by(street_normalized, occurred_at) filter (where street_normalized is not null) as street_normalized,
        max_by(lower(city), occurred_at) filter (where city is not null) as city
    from {{ ref('stg_web__identifies') }}
    where coalesce(user_id, anonymous_id) is not null
    group by all

),

web_users as (

    select
        'web_user' as source,
        observed.user_id as source_record_id,
        web_traits.email, web_traits.phone, web_traits.first_name, web_traits.last_name,
        web_traits.first_name_canonical, web_traits.birth_date, web_traits.postal_code, web_traits.street_normalized, web_traits.city,
        observed.user_id as customer_ref,
        false as is_staff,
        observed.first_seen_at,
        observed.last_seen_at
    from (
        select user_id, min(first_seen_at) as first_seen_at, max(last_seen_at) as last_seen_at
        from {{ ref('int_web_identifiers_observed') }}
        where user_id is not null
        group by user_id
    ) as observed
    left join web_traits on web_traits.node_key = 'web_user:' || observed.user_id

),

web_anonymous as (

    select
        'web_anonymous' as source,
        observed.anonymous_id as source_record_id,
        web_traits.email, web_traits.phone, web_traits.first_name, web_traits.last_name,
        web_traits.first_name_canonical, web_traits.birth_date, web_traits.postal_code, web_traits.street_normalized, web_traits.city,
        cast(null as {{ dbt.type_string() }}) as customer_ref,
        false as is_staff,
        observed.first_seen_at,
        observed.last_seen_at
    from (
        select anonymous_id, min(first_seen_at) as first_seen_at, max(last_seen_at) as last_seen_at
        from {{ ref('int_web_identifiers_observed') }}
        where anonymous_id is not null
        group by anonymous_id
    ) as observed
    left join web_traits on web_traits.node_key = 'web_anonymous:' || observed.anonymous_id

),

unioned as (

    select * from sales
    union all select * from support
    union all select * from email
    union all select * from web_users
    union all select * from web_anonymous

)

select
    source || ':' || source_record_id as node_key,
    *
from unioned
