{%- set cols = c360.relation_columns(source('web', 'identifies')) -%}

with

source as (

    select * from {{ source('web', 'identifies') }}

),

deduplicated as (

    select *
    from source
    qualify row_number() over (partition by message_id order by _dlt_load_id) = 1

),

typed as (

    select
        message_id as identify_id,
        nullif(trim(user_id), '') as user_id,
        nullif(trim(anonymous_id), '') as anonymous_id,
        timestamp::timestamptz as occurred_at,
        {{ c360.optional_column(cols, 'received_at', 'timestamptz') }},
        {{ c360.optional_column(cols, ['traits__email', 'context__traits__email'], 'varchar', 'email_raw') }},
        {{ c360.optional_column(cols, ['traits__phone', 'context__traits__phone'], 'varchar', 'phone_raw') }},
        {{ c360.optional_column(cols, ['traits__first_name', 'traits__firstname'], 'varchar', 'first_name_raw') }},
        {{ c360.optional_column(cols, ['traits__last_name', 'traits__lastname'], 'varchar', 'last_name_raw') }},
        {{ c360.optional_column(cols, 'traits__name', 'varchar', 'name_raw') }},
        {{ c360.optional_column(cols, ['traits__birthday', 'traits__birth_date', 'traits__date_of_birth'], 'varchar', 'birth_date_raw') }},
        {{ c360.optional_column(cols, 'traits__gender', 'varchar', 'gender_raw') }},
        {{ c360.optional_column(cols, ['traits__address__street', 'traits__street'], 'varchar', 'street_raw') }},
        {{ c360.optional_column(cols, ['traits__address__city', 'traits__city'], 'varchar', 'city_raw') }},
        {{ c360.optional_column(cols, ['traits__address__postal_code', 'traits__postal_code', 'traits__zip'], 'varchar', 'postal_code_raw') }},
        {{ c360.optional_column(cols, ['traits__address__country', 'traits__country'], 'varchar', 'country_raw') }},
        {{ country_from_locale(c360.optional_value(cols, 'context__locale', 'varchar'), c360.optional_value(cols, 'context__timezone', 'varchar')) }} as country_guess,
        _dlt_load_id,
    from deduplicated

),

renamed as (

    select
        identify_id,
        user_id,
        anonymous_id,
        occurred_at,
        received_at,

        email_raw,
        {{ normalize_email('email_raw') }} as email,
        {{ is_junk_email('email_raw') }} as is_email_junk,
        phone_raw,
        {{ normalize_phone('phone_raw', 'coalesce(country_raw, country_guess)') }} as phone,
        -- Segment's reserved traits: firstName/lastName, or only name ("First Last")
        {{ normalize_name("coalesce(first_name_raw, regexp_replace(name_raw, '\\s+\\S+$', ''))") }} as first_name,
        {{ normalize_name("coalesce(last_name_raw, case when name_raw like '% %' then regexp_extract(name_raw, '(\\S+)$', 1) end)") }} as last_name,
        {{ canonical_first_name(normalize_name("coalesce(first_name_raw, regexp_replace(name_raw, '\\s+\\S+$', ''))")) }} as first_name_canonical,
        {{ clean_text("coalesce(first_name_raw, regexp_replace(name_raw, '\\s+\\S+$', ''))") }} as first_name_display,
        {{ clean_text("coalesce(last_name_raw, case when name_raw like '% %' then regexp_extract(name_raw, '(\\S+)$', 1) end)") }} as last_name_display,
        try_cast(left(birth_date_raw, 10) as date) as birth_date,
        lower({{ clean_text('gender_raw') }}) as gender,
        {{ clean_text('street_raw') }} as street,
        {{ normalize_street('street_raw') }} as street_normalized,
        {{ clean_text('city_raw') }} as city,
        {{ normalize_postal_code('postal_code_raw') }} as postal_code,
        upper({{ clean_text('country_raw') }}) as country,
        _dlt_load_id,

    from typed

)

select * from renamed
