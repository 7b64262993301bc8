-- Why were these records merged? One row per piece of evidence between two identity records: which customer it
-- belongs to, the rule (or the model's match probability and the comparison level of every field), and what
-- became of it: linked, cut by the conflict guard (and which two records it would have joined), or dropped by the
-- cluster size guard. A steward filters on customer_id to see every record of a customer and what joined it.

with

edges as (

    select * from {{ ref('int_identity_edges') }}

),

nodes as (

    select node_key, source, source_record_id from {{ ref('int_identity_nodes') }}

),

assigned as (

    select node_key, cluster_key, customer_id from {{ ref('int_customer_ids_assigned') }}

),

cut as (

    select * from {{ ref('int_identity_edges_cut') }}

)

select
    a.customer_id,
    b.customer_id as customer_id_b,
    na.source as source_a,
    na.source_record_id as source_record_id_a,
    nb.source as source_b,
    nb.source_record_id as source_record_id_b,
    edges.rule,
    edges.score,
    edges.evidence,
    case
        when cut.node_key_a is not null then 'cut_conflict'
        when a.cluster_key = b.cluster_key then 'linked'
        else 'dropped_oversized'
    end as status,
    case when cut.node_key_a is not null
        then cut.conflict_reason || ' between ' || cut.conflict_node_key_a || ' and ' || cut.conflict_node_key_b
    end as status_detail
from edges
inner join nodes as na on na.node_key = edges.node_key_a
inner join nodes as nb on nb.node_key = edges.node_key_b
inner join assigned as a on a.node_key = edges.node_key_a
inner join assigned as b on b.node_key = edges.node_key_b
left join cut using (node_key_a, node_key_b, rule)
