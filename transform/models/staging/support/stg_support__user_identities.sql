{#- Zendesk user identities: every email address and phone number of a user (the primary ones and the others),
    side-loaded with the user export (include=identities) into the raw child table users__identities. An account
    whose export never carried identities has no such table: source_relation reads it as empty. -#}

with

source as (

    select * from {{ c360.source_relation('support', 'users__identities') }}

),

renamed as (

    select
        cast(id as {{ dbt.type_string() }}) as identity_id,
        cast(user_id as {{ dbt.type_string() }}) as user_id,
        lower(type) as identity_type,
        value as value_raw,
        {{ adapter.quote("primary") }}::boolean as is_primary_raw,
        verified::boolean as is_verified_raw,
        cast(created_at as {{ c360.type_timestamptz() }}) as created_at,
        cast(updated_at as {{ c360.type_timestamptz() }}) as updated_at,
        _dlt_parent_id as user_dlt_id
    from source

),

normalized as (

    select
        identity_id,
        user_id,
        identity_type,
        value_raw,
        case when identity_type = 'email' then {{ normalize_email('value_raw') }} end as email,
        -- national numbers are read with var('default_phone_country'): an identity carries no locale
        case when identity_type = 'phone_number' then {{ normalize_phone('value_raw') }} end as phone,
        coalesce(is_primary_raw, false) as is_primary,
        coalesce(is_verified_raw, false) as is_verified,
        created_at,
        updated_at,
        user_dlt_id
    from renamed
    where identity_id is not null

)

select * from normalized
-- a user re-exported within one load can leave an identity twice until dlt's merge settles it
qualify row_number() over (partition by identity_id order by updated_at desc nulls last) = 1
