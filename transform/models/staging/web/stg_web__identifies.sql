{%- set cols = c360.source_columns('web', 'identifies') -%}

with

calls as (

    select * from {{ c360.segment_calls('identifies') }}

),

typed as (

    select
        message_id as identify_id,
        {{ c360.optional_column(cols, ['traits__email', 'context__traits__email'], 'varchar', 'email_raw') }},
        {{ c360.optional_column(cols, ['traits__phone', 'context__traits__phone'], 'varchar', 'phone_raw') }},
        {{ c360.optional_column(cols, ['traits__first_name', 'context__traits__first_name'], 'varchar', 'first_name_raw') }},
        {{ c360.optional_column(cols, ['traits__last_name', 'context__traits__last_name'], 'varchar', 'last_name_raw') }},
        {{ c360.optional_column(cols, ['traits__name', 'context__traits__name'], 'varchar', 'name_raw') }},
        {{ c360.optional_column(cols, ['traits__birthday', 'context__traits__birthday'], 'varchar', 'birth_date_raw') }},
        {{ c360.optional_column(cols, ['traits__gender', 'context__traits__gender'], 'varchar', 'gender_raw') }},
        {{ c360.optional_column(cols, ['traits__address__street', 'context__traits__address__street'], 'varchar', 'street_raw') }},
        {{ c360.optional_column(cols, ['traits__address__city', 'context__traits__address__city'], 'varchar', 'city_raw') }},
        {{ c360.optional_column(cols, ['traits__address__postal_code', 'context__traits__address__postal_code'], 'varchar', 'postal_code_raw') }},
        {{ c360.optional_column(cols, ['traits__address__country', 'context__traits__address__country'], 'varchar', 'country_raw') }},
        {{ country_from_locale(c360.optional_value(cols, 'context__locale', 'varchar'), c360.optional_value(cols, 'context__timezone', 'varchar')) }} as country_guess,
        {{ c360.segment_common_fields(cols) }}
    from calls

),

named as (

    select
        *,
        coalesce(first_name_raw, case when name_raw like '% %' then regexp_replace(trim(name_raw), '\s+\S+$', '') else name_raw end) as given_name_raw,
        coalesce(last_name_raw, case when name_raw like '% %' then regexp_extract(trim(name_raw), '(\S+)$', 1) end) as family_name_raw
    from typed

),

renamed as (

    select
        identify_id,
        user_id,
        anonymous_id,
        occurred_at,
        received_at,

        email_raw,
        phone_raw,
        -- Segment's reserved traits: firstName/lastName, or only name ("First Last"); see the named CTE
        {{ c360.normalized_person_fields('email_raw', 'phone_raw', 'coalesce(country_raw, country_guess)', 'given_name_raw', 'family_name_raw') }},
        try_cast(left(birth_date_raw, 10) as date) as birth_date,
        lower({{ clean_text('gender_raw') }}) as gender,
        {{ clean_text('street_raw') }} as street,
        {{ normalize_street('street_raw') }} as street_normalized,
        {{ clean_text('city_raw') }} as city,
        {{ normalize_postal_code('postal_code_raw') }} as postal_code,
        upper({{ clean_text('country_raw') }}) as country,
        _dlt_load_id

    from named

)

select * from renamed
