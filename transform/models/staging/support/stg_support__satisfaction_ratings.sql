with

source as (

    select * from {{ c360.source_relation('support', 'satisfaction_ratings') }}

),

latest as (

    select *
    from source
    qualify row_number() over (partition by id order by updated_at desc, _dlt_load_id desc) = 1

),

renamed as (

    select
        cast(id as {{ dbt.type_string() }}) as satisfaction_rating_id,
        cast(ticket_id as {{ dbt.type_string() }}) as ticket_id,
        cast(requester_id as {{ dbt.type_string() }}) as requester_id,
        lower(score) as score,
        lower(score) = 'good' as is_good,
        lower(score) = 'bad' as is_bad,
        cast(created_at as {{ c360.type_timestamptz() }}) as rated_at,
        cast(updated_at as {{ c360.type_timestamptz() }}) as updated_at,
        _dlt_load_id

    from latest

)

select * from renamed
