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
        id::varchar as satisfaction_rating_id,
        ticket_id::varchar as ticket_id,
        requester_id::varchar as requester_id,
        lower(score) as score,
        lower(score) = 'good' as is_good,
        lower(score) = 'bad' as is_bad,
        created_at::timestamptz as rated_at,
        updated_at::timestamptz as updated_at,
        _dlt_load_id,

    from latest

)

select * from renamed
