{%- set previous = c360.identity_previous_state() -%}

-- The first pass of int_identity_clusters: connected components of the evidence the cluster guard kept (every
-- edge but those of int_identity_edges_cut), for the nodes int_identity_components resolved in this run. A model
-- of its own, not a CTE of int_identity_clusters, so that every query holds one connected-components computation:
-- the second pass (over this pass's clusters) nested both, and at 1,000,000 customers the two did not fit in
-- DuckDB's 1 GB together. cluster_key is the smallest node_key of the component; resolved_at is the node's
-- int_identity_components.resolved_at, carried for int_identity_clusters.

with

{% call c360.cte('nodes') %}

    select node_key, resolved_at from {{ ref('int_identity_components') }}
    -- without a usable previous state every node is resolved, whatever the components table says
    {% if previous is not none %} where is_resolved {% endif %}

{% endcall %},

{% call c360.cte('edges') %}

    select node_key_a, node_key_b from {{ ref('int_identity_edges') }}
    anti join {{ ref('int_identity_edges_cut') }} using (node_key_a, node_key_b, rule)
    -- the nodes resolved in this run (every node without a previous state: no filter, which would cost memory)
    {% if previous is not none %} where node_key_a in (select node_key from nodes) {% endif %}

{% endcall %},

components as (

    {{ connected_components('nodes', 'edges') }}

)

select node_key, cluster_key, resolved_at from components
