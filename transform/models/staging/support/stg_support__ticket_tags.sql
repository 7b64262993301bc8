with

source as (

    select * from {{ c360.source_relation('support', 'tickets__tags') }}

),

renamed as (

    select
        _dlt_parent_id as ticket_dlt_id,
        lower(trim(value)) as tag,
        _dlt_id as ticket_tag_id

    from source

)

select * from renamed
