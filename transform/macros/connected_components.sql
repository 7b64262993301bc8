{#-
  Connected components of an undirected graph, in the warehouse: min-label propagation as a recursive CTE with
  USING KEY (DuckDB >= 1.3). Every node starts labelled with itself; each iteration only the nodes whose label
  dropped in the previous one (the working table) push their label to their neighbours, and a neighbour is
  updated only when that label is smaller than the one it holds (recurring.<cte> is the whole keyed table).
  Iterations = the graph's diameter, and the work per iteration is the frontier, not the graph, so it scales to
  millions of nodes (measured: docs/readme/transform.md). Returns a select of (node_key, cluster_key), where
  cluster_key is the smallest node_key of the component.

  nodes: a relation/CTE name with column node_key; edges: one with columns node_key_a, node_key_b.
-#}
{% macro connected_components(nodes, edges) -%}
    with recursive
        cc_undirected as (
            select node_key_a as src, node_key_b as dst from {{ edges }}
            union all
            select node_key_b as src, node_key_a as dst from {{ edges }}
        ),

        cc_labels (node_key, cluster_key) using key (node_key) as (
            select node_key, node_key from {{ nodes }}
            union
            (
                select
                    e.dst as node_key,
                    min(changed.cluster_key) as cluster_key,
                from cc_labels as changed
                inner join cc_undirected as e on e.src = changed.node_key
                inner join recurring.cc_labels as current_labels on current_labels.node_key = e.dst
                group by e.dst
                having min(changed.cluster_key) < min(current_labels.cluster_key)
            )
        )

    select node_key, cluster_key from cc_labels
{%- endmacro %}
