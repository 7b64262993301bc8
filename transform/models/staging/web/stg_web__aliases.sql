-- Segment alias calls: identity evidence that previousId (an anonymousId or an earlier userId) and userId are the
-- same user (Segment Spec: Alias). The identity models link the two ids (int_identity_edges, rule alias).

with

calls as (

    select * from {{ c360.segment_calls('aliases') }}

),

renamed as (

    select
        message_id as alias_id,
        nullif(trim(previous_id), '') as previous_id,
        nullif(trim(user_id), '') as user_id,
        nullif(trim(anonymous_id), '') as anonymous_id,
        cast(timestamp as {{ c360.type_timestamptz() }}) as occurred_at,
        cast(received_at as {{ c360.type_timestamptz() }}) as received_at,
        _dlt_load_id

    from calls

)

select * from renamed
