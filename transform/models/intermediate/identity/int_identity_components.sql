-- Connected components of all the evidence (int_identity_edges) before any guard: what the evidence alone would
-- merge. The guards work on these components: contradicting records inside one (int_identity_conflicts) make
-- int_identity_edges_cut cut the weakest evidence between them. component_key is the smallest node_key.

with

{% call c360.cte('nodes') %}

    select node_key from {{ ref('int_identity_nodes') }}

{% endcall %},

{% call c360.cte('edges') %}

    select node_key_a, node_key_b from {{ ref('int_identity_edges') }}

{% endcall %},

components as (

    {{ connected_components('nodes', 'edges') }}

)

select node_key, cluster_key as component_key, count(*) over (partition by cluster_key) as component_size
from components
