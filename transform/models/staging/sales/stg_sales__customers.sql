with

source as (

    select * from {{ c360.source_relation('sales', 'customers') }}

),

latest as (

    select *
    from source
    qualify row_number() over (partition by id order by updated_at desc, _dlt_load_id desc) = 1

),

renamed as (

    select
        cast(id as {{ dbt.type_string() }}) as customer_id,

        -- identifiers, raw and normalized (macros/normalize_*.sql)
        email as email_raw,
        phone as phone_raw,
        {{ c360.normalized_person_fields('email', 'phone', 'country', 'first_name', 'last_name') }},

        -- attributes kept as written, for the golden record
        birth_date::date as birth_date,
        lower({{ clean_text('gender') }}) as gender,
        {{ clean_text('street') }} as street,
        {{ normalize_street('street') }} as street_normalized,
        {{ clean_text('city') }} as city,
        {{ normalize_postal_code('postal_code') }} as postal_code,
        upper({{ clean_text('country') }}) as country,

        cast(created_at as {{ c360.type_timestamptz() }}) as created_at,
        cast(updated_at as {{ c360.type_timestamptz() }}) as updated_at,
        _dlt_load_id

    from latest

)

select * from renamed
