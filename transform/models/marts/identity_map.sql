-- One row per identifying source record: which customer it belongs to and the strongest evidence that put it
-- there (the best rule among the edges linking it inside its cluster; 'singleton' when it stands alone,
-- 'support_agent' for Zendesk staff, who are mapped but never linked).

with

nodes as (

    select node_key, source, source_record_id, is_staff from {{ ref('int_identity_nodes') }}

),

assignments as (

    select node_key, cluster_key, customer_id from {{ ref('int_customer_ids_assigned') }}

),

rule_strength as (

    select * from (values
        ('customer_id', 1),
        ('anonymous_id_with_user_id', 2),
        ('alias', 3),
        ('email', 4),
        ('phone', 5),
        ('fuzzy_name_birth_date', 6),
        ('fuzzy_name_address', 7)
    ) as v(rule, strength)

),

incident_edges as (

    select edges.node_key_a as node_key, edges.rule, edges.score
    from {{ ref('int_identity_edges') }} as edges
    inner join assignments as a on a.node_key = edges.node_key_a
    inner join assignments as b on b.node_key = edges.node_key_b
    where a.cluster_key = b.cluster_key

    union all

    select edges.node_key_b, edges.rule, edges.score
    from {{ ref('int_identity_edges') }} as edges
    inner join assignments as a on a.node_key = edges.node_key_a
    inner join assignments as b on b.node_key = edges.node_key_b
    where a.cluster_key = b.cluster_key

),

strongest as (

    select incident_edges.node_key, incident_edges.rule, incident_edges.score
    from incident_edges
    inner join rule_strength using (rule)
    qualify row_number() over (
        partition by incident_edges.node_key
        order by rule_strength.strength, incident_edges.score desc
    ) = 1

)

select
    nodes.source,
    nodes.source_record_id,
    assignments.customer_id,
    case when nodes.is_staff then 'support_agent' else coalesce(strongest.rule, 'singleton') end as rule,
    coalesce(strongest.score, 1.0)::double as score,
from nodes
inner join assignments using (node_key)
left join strongest using (node_key)
