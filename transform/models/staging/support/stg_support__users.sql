{%- set cols = c360.source_columns('support', 'users') -%}

with

source as (

    select * from {{ c360.source_relation('support', 'users') }}

),

latest as (

    select *
    from source
    qualify row_number() over (partition by id order by updated_at desc, _dlt_load_id desc) = 1

),

typed as (

    select
        cast(id as {{ dbt.type_string() }}) as user_id,
        name as full_name_raw,
        -- "Last, First" is written by some agents and imports; otherwise the last word is the family name
        case
            when name like '%,%' then trim(split_part(name, ',', 2))
            when trim(name) like '% %' then regexp_replace(trim(name), '\s+\S+$', '')
            else trim(name)
        end as given_name_raw,
        case
            when name like '%,%' then trim(split_part(name, ',', 1))
            when trim(name) like '% %' then regexp_extract(trim(name), '(\S+)$', 1)
        end as family_name_raw,
        email as email_raw,
        phone as phone_raw,
        {{ c360.optional_column(cols, 'external_id', 'varchar') }},
        {{ c360.optional_column(cols, 'role', 'varchar') }},
        {{ c360.optional_column(cols, ['user_fields__birth_date', 'user_fields__birthday', 'user_fields__date_of_birth'], 'date', 'birth_date') }},
        coalesce(
            {{ c360.optional_value(cols, ['user_fields__country', 'user_fields__country_code'], 'varchar') }},
            {{ country_from_locale(c360.optional_value(cols, 'locale', 'varchar'), c360.optional_value(cols, 'iana_time_zone', 'varchar')) }}
        ) as country,
        {{ c360.optional_column(cols, 'suspended', 'boolean') }},
        {{ c360.optional_column(cols, 'active', 'boolean') }},
        cast(created_at as {{ c360.type_timestamptz() }}) as created_at,
        cast(updated_at as {{ c360.type_timestamptz() }}) as updated_at,
        _dlt_load_id
    from latest

),

renamed as (

    select
        user_id,
        nullif(trim(external_id), '') as external_id,
        coalesce(lower(role), 'end-user') as role,
        coalesce(suspended, false) as is_suspended,
        -- Zendesk: "active: false if the user has been deleted"; the export keeps deleted users. Kept here (and in
        -- raw), left out of customers and their facts downstream.
        coalesce(not active, false) as is_deleted,

        email_raw,
        phone_raw,
        full_name_raw,
        {{ c360.normalized_person_fields('email_raw', 'phone_raw', 'country', 'given_name_raw', 'family_name_raw') }},
        birth_date,
        upper(country) as country,

        created_at,
        updated_at,
        _dlt_load_id

    from typed

)

select * from renamed
