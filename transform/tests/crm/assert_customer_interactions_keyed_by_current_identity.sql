-- Re-keying: every touch carries the customer_id its identity node maps to now (identity_map), also after
-- incremental runs in which customers merged or split.

select interactions.interaction_id, interactions.customer_id, identity_map.customer_id as current_customer_id
from {{ ref('customer_interactions') }} as interactions
left join {{ ref('identity_map') }} as identity_map
    on identity_map.source = interactions.identity_source
    and identity_map.source_record_id = interactions.identity_record_id
where identity_map.customer_id is distinct from interactions.customer_id
