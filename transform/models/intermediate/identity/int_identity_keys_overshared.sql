-- Identifier values that link nothing, with the reason:
--   held_by_too_many_records  more than var('identity_max_records_per_key') records of one profile source (sales,
--                             support, web_user) hold it, or an anonymousId was seen with that many userIds: a
--                             person rarely has that many accounts in one system; a placeholder ("info@company",
--                             a shop's phone number, a kiosk's cookie) does;
--   held_by_different_people  two of the records holding it contradict each other (macro
--                             identity_records_contradict: different given names and different birth dates or
--                             surnames): a family email or landline, a shared computer, a team mailbox.
-- The same rule for every kind of key: email, phone, claimed customer id, and a cookie (anonymousId) judged by
-- the profiles of the userIds seen with it. These values stay on the records but are never used as links.

with

keys as (

    select node_key, source, key_type, key_value from {{ ref('int_identity_keys') }}
    where source in ('sales', 'support', 'web_user')
    union all
    -- a cookie is held by the userIds seen with it
    select distinct 'web_user:' || user_id, 'web_user', 'anonymous_id', anonymous_id
    from {{ ref('int_web_identifiers_observed') }}
    where anonymous_id is not null and user_id is not null

),

per_source as (

    select key_type, key_value, source, count(distinct node_key) as record_count
    from keys
    group by all

),

too_many as (

    select key_type, key_value, max(record_count) as max_records_per_source
    from per_source
    group by key_type, key_value
    having max(record_count) > {{ var('identity_max_records_per_key') }}

),

-- pairs of holders are compared only for keys under the count limit, so the work stays linear in the records
holder_pairs as (

    select a.key_type, a.key_value, a.node_key as node_key_a, b.node_key as node_key_b
    from keys as a
    inner join keys as b
        on a.key_type = b.key_type and a.key_value = b.key_value and a.node_key < b.node_key
    where not exists (
        select 1 from too_many where too_many.key_type = a.key_type and too_many.key_value = a.key_value
    )

),

contradicting as (

    select
        holder_pairs.key_type,
        holder_pairs.key_value,
        min(holder_pairs.node_key_a) as node_key_a,
        min_by(holder_pairs.node_key_b, holder_pairs.node_key_a) as node_key_b
    from holder_pairs
    inner join {{ ref('int_identity_nodes') }} as a on a.node_key = holder_pairs.node_key_a
    inner join {{ ref('int_identity_nodes') }} as b on b.node_key = holder_pairs.node_key_b
    where {{ identity_records_contradict('a', 'b') }}
    group by all

),

counts as (

    select key_type, key_value, max(record_count) as max_records_per_source
    from per_source
    group by key_type, key_value

)

select key_type, key_value, max_records_per_source, 'held_by_too_many_records' as reason,
    cast(null as {{ dbt.type_string() }}) as node_key_a, cast(null as {{ dbt.type_string() }}) as node_key_b
from too_many

union all

select contradicting.key_type, contradicting.key_value, counts.max_records_per_source, 'held_by_different_people',
    contradicting.node_key_a, contradicting.node_key_b
from contradicting
inner join counts using (key_type, key_value)
