{%- set cols = c360.source_columns('web', 'groups') -%}

-- Segment group calls: which account (company, organization) a user belongs to, with the account's traits as
-- that call reported them (Segment's reserved group traits: name, industry, employees, plan, website).

with

calls as (

    select * from {{ c360.segment_calls('groups') }}

),

renamed as (

    select
        message_id as group_call_id,
        nullif(trim(group_id), '') as group_id,
        {{ c360.optional_column(cols, 'traits__name', 'varchar', 'group_name') }},
        {{ c360.optional_column(cols, 'traits__industry', 'varchar', 'industry') }},
        try_cast({{ c360.optional_value(cols, 'traits__employees', 'varchar') }} as bigint) as employee_count,
        {{ c360.optional_column(cols, 'traits__plan', 'varchar', 'plan') }},
        {{ c360.optional_column(cols, 'traits__website', 'varchar', 'website') }},
        {{ c360.segment_common_fields(cols) }}

    from calls

)

select * from renamed
