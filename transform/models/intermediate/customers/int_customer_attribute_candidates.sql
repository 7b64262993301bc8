-- Every value a source record offers for a golden-record field, with its customer, provenance and the
-- source's trust rank (1 = most trusted): sales 1 > support 2 > web identify traits 3 > email 4.
-- The address is one field (street, city, postal code, country as JSON) so that a golden address is always
-- one record's address, never a street from one source and a city from another.

with

assignments as (

    select node_key, customer_id from {{ ref('int_customer_ids_assigned') }}

),

sales as (

    select
        'sales' as source, customer_id as source_record_id, 1 as trust_rank, updated_at as observed_at,
        first_name_display as first_name, last_name_display as last_name, email, phone,
        birth_date, gender, street, city, postal_code, country
    from {{ ref('stg_sales__customers') }}

),

support as (

    select
        'support' as source, user_id as source_record_id, 2 as trust_rank, updated_at as observed_at,
        first_name_display as first_name, last_name_display as last_name, email, phone,
        birth_date, cast(null as {{ dbt.type_string() }}) as gender,
        cast(null as {{ dbt.type_string() }}) as street, cast(null as {{ dbt.type_string() }}) as city, cast(null as {{ dbt.type_string() }}) as postal_code, cast(null as {{ dbt.type_string() }}) as country
    from {{ ref('stg_support__users') }}
    where role not in ('agent', 'admin') and not is_deleted

),

web as (

    -- each identify call is one observation, so a trait repeated over many logins counts as frequent
    select
        case when user_id is not null then 'web_user' else 'web_anonymous' end as source,
        coalesce(user_id, anonymous_id) as source_record_id,
        3 as trust_rank,
        occurred_at as observed_at,
        first_name_display as first_name, last_name_display as last_name, email, phone,
        birth_date, gender, street, city, postal_code, country
    from {{ ref('stg_web__identifies') }}
    where coalesce(user_id, anonymous_id) is not null

),

email as (

    select
        'email' as source, email_address as source_record_id, 4 as trust_rank, last_seen_at as observed_at,
        cast(null as {{ dbt.type_string() }}) as first_name, cast(null as {{ dbt.type_string() }}) as last_name, email, cast(null as {{ dbt.type_string() }}) as phone,
        null::date as birth_date, cast(null as {{ dbt.type_string() }}) as gender,
        cast(null as {{ dbt.type_string() }}) as street, cast(null as {{ dbt.type_string() }}) as city, cast(null as {{ dbt.type_string() }}) as postal_code, cast(null as {{ dbt.type_string() }}) as country
    from {{ ref('int_email_addresses_observed') }}

),

records as (

    select * from sales
    union all select * from support
    union all select * from web
    union all select * from email

),

assigned as (

    select
        assignments.customer_id,
        records.source, records.source_record_id, records.trust_rank, records.observed_at,
        records.first_name, records.last_name, records.email, records.phone,
        cast(records.birth_date as {{ dbt.type_string() }}) as birth_date, records.gender,
        case
            when coalesce(records.street, records.city, records.postal_code) is not null
                then {{ c360.json_object({
                    'street': 'records.street',
                    'city': 'records.city',
                    'postal_code': 'records.postal_code',
                    'country': 'records.country',
                }) }}
        end as address
    from records
    inner join assignments on assignments.node_key = records.source || ':' || records.source_record_id

)

select customer_id, field, value, source, source_record_id, trust_rank, observed_at
from assigned
unpivot (
    value for field in (
        first_name,
        last_name,
        email,
        phone,
        birth_date,
        gender,
        address
    )
)
