{{
    config(
        materialized=c360.incremental_materialization(),
        unique_key='customer_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook="{{ c360.delete_rebuild_markers('field') }}",
    )
}}

-- Every value a source record offers for a golden-record field, with its customer, provenance and the
-- source's trust rank (1 = most trusted): sales 1 > support 2 > web identify traits 3 > email 4.
-- The address is one field (street, city, postal code, country as JSON) so that a golden address is always
-- one record's address, never a street from one source and a city from another.
--
-- Incremental per customer (issue 11): a run rebuilds all rows of the customers that can have changed - those
-- holding a node identity resolution wrote since the rows here were built (resolved_at: a merge, a split, a node
-- gone or new; every node of such a customer is in the resolved region) or a record loaded since (_dlt_load_id,
-- per source), and those that held such a node before. delete+insert on customer_id replaces their rows; a customer
-- left with no rows (an id retired by a merge) gets one marker row (field null) so that its old rows are deleted
-- too, and the post-hook removes the markers. Every other customer keeps its rows untouched. computed_at says when
-- a customer's rows were written (int_customer_attributes_survived rebuilds the customers written since its own).

with

assignments as (

    select node_key, customer_id, resolved_at from {{ ref('int_customer_ids_assigned') }}

),

sales as (

    select
        'sales' as source, customer_id as source_record_id, 1 as trust_rank, updated_at as observed_at,
        first_name_display as first_name, last_name_display as last_name, email, phone,
        birth_date, gender, street, city, postal_code, country, _dlt_load_id
    from {{ ref('stg_sales__customers') }}

),

support as (

    select
        'support' as source, user_id as source_record_id, 2 as trust_rank, updated_at as observed_at,
        first_name_display as first_name, last_name_display as last_name, email, phone,
        birth_date, cast(null as {{ dbt.type_string() }}) as gender,
        cast(null as {{ dbt.type_string() }}) as street, cast(null as {{ dbt.type_string() }}) as city, cast(null as {{ dbt.type_string() }}) as postal_code, cast(null as {{ dbt.type_string() }}) as country,
        _dlt_load_id
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
        birth_date, gender, street, city, postal_code, country, _dlt_load_id
    from {{ ref('stg_web__identifies') }}
    where coalesce(user_id, anonymous_id) is not null

),

email as (

    select
        'email' as source, email_address as source_record_id, 4 as trust_rank, last_seen_at as observed_at,
        cast(null as {{ dbt.type_string() }}) as first_name, cast(null as {{ dbt.type_string() }}) as last_name, email, cast(null as {{ dbt.type_string() }}) as phone,
        null::date as birth_date, cast(null as {{ dbt.type_string() }}) as gender,
        cast(null as {{ dbt.type_string() }}) as street, cast(null as {{ dbt.type_string() }}) as city, cast(null as {{ dbt.type_string() }}) as postal_code, cast(null as {{ dbt.type_string() }}) as country,
        last_load_id as _dlt_load_id
    from {{ ref('int_email_addresses_observed') }}

),

records as (

    select * from sales
    union all select * from support
    union all select * from web
    union all select * from email

),

{% if is_incremental() %}
-- the nodes whose identity was resolved, or whose record was loaded, since this customer's rows were built
changed_nodes as (

    select node_key
    from assignments
    where resolved_at > (select coalesce(max(resolved_at), cast('1970-01-01' as {{ c360.type_timestamptz() }})) from {{ this }})

    union

    select records.source || ':' || records.source_record_id
    from records
    left join (select source, max(_dlt_load_id) as loaded_through from {{ this }} group by source) as watermarks
        using (source)
    where records._dlt_load_id > coalesce(watermarks.loaded_through, '')

),

affected as (

    select customer_id from assignments where node_key in (select node_key from changed_nodes)

    union

    select customer_id from {{ this }} where source || ':' || source_record_id in (select node_key from changed_nodes)

),
{% endif %}

assigned as (

    select
        assignments.customer_id,
        assignments.resolved_at,
        records.source, records.source_record_id, records.trust_rank, records.observed_at, records._dlt_load_id,
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
    {% if is_incremental() %}
    where assignments.customer_id in (select customer_id from affected)
    {% endif %}

),

candidates as (

select customer_id, field, value, source, source_record_id, trust_rank, observed_at, resolved_at, _dlt_load_id
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

)

select *, cast('{{ run_started_at }}' as {{ c360.type_timestamptz() }}) as computed_at
from candidates
{% if is_incremental() %}
-- a marker per rebuilt customer, so that delete+insert also deletes the rows of a customer left with none
{{ c360.rebuild_markers('affected') }}
{% endif %}
