{{
    config(
        materialized=c360.incremental_materialization(),
        unique_key=['old_customer_id', 'new_customer_id', 'changed_at'],
        incremental_strategy='delete+insert',
    )
}}

-- Every customer_id that stopped being used, and which id its records carry now. Appended on each run that
-- merged (two customers became one: the younger id retires) or split (part of a customer got a new id).

select distinct
    previous_customer_id as old_customer_id,
    customer_id as new_customer_id,
    change_reason as reason,
    changed_at
from {{ ref('int_customer_ids_assigned') }}
where change_reason is not null
{% if is_incremental() %}
  and changed_at > (select coalesce(max(changed_at), {{ c360.min_timestamptz() }}) from {{ this }})
{% endif %}
