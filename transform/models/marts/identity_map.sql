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
        ('probabilistic', 6),
        ('steward_must_link', 0)
    ) as v(rule, strength)

),

-- the evidence that holds records together: inside one cluster and not cut by the conflict guard
kept as (

    select edges.node_key_a, edges.node_key_b, edges.rule, edges.score
    from {{ ref('int_identity_edges') }} as edges
    inner join assignments as a on a.node_key = edges.node_key_a
    inner join assignments as b on b.node_key = edges.node_key_b
    anti join {{ ref('int_identity_edges_cut') }} as cut using (node_key_a, node_key_b, rule)
    where a.cluster_key = b.cluster_key

),

incident_edges as (

    select kept.node_key_a as node_key, kept.rule, kept.score from kept

    union all

    select kept.node_key_b, kept.rule, kept.score from kept

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
    -- how sure the link holding the record in its customer is: 1 for a rule, the model's probability for a record
    -- held only by probabilistic evidence; null for a record linked to nothing
    case when not nodes.is_staff then strongest.score end::double as link_probability
from nodes
inner join assignments using (node_key)
left join strongest using (node_key)
