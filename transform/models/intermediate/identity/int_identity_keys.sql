-- Every identifier a record holds, one row per (node_key, key_type, key_value): the one definition of the keys
-- the deterministic rules link on (int_identity_edges) and the shared-key guard judges (int_identity_keys_overshared).
-- A Zendesk user holds its primary email and phone and every other identity of its profile (the side-loaded
-- users__identities: a second address, a mobile number), so a caller known by a second address still links,
-- under the same guard as any other key.

with

nodes as (

    select * from {{ ref('int_identity_nodes') }}
    where not is_staff

),

support_identities as (

    select
        'support:' || user_id as node_key,
        case when identity_type = 'email' then 'email' else 'phone' end as key_type,
        coalesce(email, phone) as key_value
    from {{ ref('stg_support__user_identities') }}
    where coalesce(email, phone) is not null

)

select node_key, source, 'email' as key_type, email as key_value from nodes where email is not null
union
select node_key, source, 'phone' as key_type, phone as key_value from nodes where phone is not null
union
select node_key, source, 'customer_id' as key_type, customer_ref as key_value from nodes where customer_ref is not null
union
-- only users that are identity nodes: a deleted user or an agent holds no key
select support_identities.node_key, nodes.source, support_identities.key_type, support_identities.key_value
from support_identities
inner join nodes on nodes.node_key = support_identities.node_key
