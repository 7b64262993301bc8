-- Identifier values too common to identify a person: held by more than var('identity_max_records_per_key')
-- records of one profile source (sales, support, web_user), or an anonymousId seen with that many userIds.
-- A person rarely has that many accounts in one system; a placeholder ("info@company", a shop's phone number,
-- a kiosk's cookie) does. These values are kept on the records but never used as links.

with

nodes as (

    select * from {{ ref('int_identity_nodes') }}
    where source in ('sales', 'support', 'web_user')
      and not is_staff

),

keys as (

    select source, 'email' as key_type, email as key_value from nodes where email is not null
    union all
    select source, 'phone', phone from nodes where phone is not null
    union all
    select source, 'customer_id', customer_ref from nodes where customer_ref is not null

),

per_source as (

    select key_type, key_value, source, count(*) as record_count
    from keys
    group by all

),

anonymous as (

    select 'anonymous_id' as key_type, anonymous_id as key_value, 'web_user' as source, count(distinct user_id) as record_count
    from {{ ref('int_web_identifiers_observed') }}
    where anonymous_id is not null and user_id is not null
    group by anonymous_id

)

select key_type, key_value, max(record_count) as max_records_per_source
from (select * from per_source union all select * from anonymous)
group by key_type, key_value
having max(record_count) > {{ var('identity_max_records_per_key') }}
