{%- set previous = c360.identity_previous_state() -%}
-- depends_on: {{ ref('int_identity_components') }} (read by identity_kept_rows in an incremental run)

-- Clusters = connected components of the identity edge graph (transitive closure), in two passes:
--   1. components over all edges except those the conflict guard cut (int_identity_edges_cut: the weakest
--      evidence between two records that contradict each other or that a steward keeps apart), computed by
--      int_identity_components_guarded;
--   2. components again without the fuzzy edges inside first-pass clusters larger than
--      var('identity_max_cluster_size') (see int_identity_clusters_oversized): a chain of fuzzy matches is the
--      usual way a resolver glues strangers together, deterministic keys rarely are.
-- cluster_key is the smallest node_key of the final component. Only the components int_identity_components
-- resolved in this run are clustered again; a cluster never spans components, so the others keep their clusters
-- from the state of the previous run (incremental identity).

with

-- the nodes int_identity_components resolved in this run, each with its first-pass cluster: the first pass is a
-- model of its own (one connected-components computation per query, for memory)
{% call c360.cte('nodes') %}

    select node_key, cluster_key as first_pass_cluster_key, resolved_at
    from {{ ref('int_identity_components_guarded') }}

{% endcall %},

{% call c360.cte('edges') %}

    select node_key_a, node_key_b, is_fuzzy from {{ ref('int_identity_edges') }}
    anti join {{ ref('int_identity_edges_cut') }} using (node_key_a, node_key_b, rule)
    -- the nodes resolved in this run (every node without a previous state: no filter, which would cost memory)
    {% if previous is not none %} where node_key_a in (select node_key from nodes) {% endif %}

{% endcall %},

{% call c360.cte('oversized') %}

    select first_pass_cluster_key as cluster_key
    from nodes
    group by first_pass_cluster_key
    having count(*) > {{ var('identity_max_cluster_size') }}

{% endcall %},

{% call c360.cte('kept_edges') %}

    select edges.node_key_a, edges.node_key_b
    from edges
    inner join nodes on nodes.node_key = edges.node_key_a
    where not (edges.is_fuzzy and nodes.first_pass_cluster_key in (select cluster_key from oversized))

{% endcall %},

-- the second pass; first_pass_cluster_key and resolved_at ride along
second_pass as (

    {{ connected_components('nodes', 'kept_edges') }}

),

clustered as (

    select node_key, cluster_key, first_pass_cluster_key, resolved_at
    from second_pass
    {{ c360.identity_kept_rows(previous, previous, ['node_key', 'cluster_key', 'first_pass_cluster_key', 'resolved_at']) }}

)

select
    node_key,
    cluster_key,
    first_pass_cluster_key,
    count(*) over (partition by cluster_key) as cluster_size,
    resolved_at
from clustered
