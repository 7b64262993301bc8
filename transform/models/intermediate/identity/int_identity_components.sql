{%- set previous = c360.identity_previous_state() -%}

-- Connected components of all the evidence (int_identity_edges) before any guard: what the evidence alone would
-- merge. The guards work on these components: contradicting records inside one (int_identity_conflicts) make
-- int_identity_edges_cut cut the weakest evidence between them. component_key is the smallest node_key.
--
-- Incremental identity (issue 11): every node has a resolution_fingerprint (int_identity_nodes_fingerprinted) -
-- the fields the guards read (given name, surname, birth date, email, staff or not), every link it has (other
-- node, rule, shared key), a steward's cannot-link pairs and the guard settings. Everything the resolution decides
-- within a component is a function of its nodes' fingerprints, so a run resolves again only the region of nodes
-- whose fingerprint changed (or that appeared or disappeared) since the previous run's state (macro
-- identity_previous_state: int_customer_ids_assigned) together with every node of their previous components;
-- elsewhere the previous result stands (is_resolved false). That region is a union of whole current components: a
-- current link into it is either new (both ends changed) or old (both ends were in one previous component). A
-- link's score is no part of the fingerprint: only the order of two probabilistic links inside one conflicted
-- component depends on it, and scores move a little with every load (term frequencies and the prior are the
-- data's), so such an order is that of the component's last resolution.

with

fingerprints as (

    select node_key, resolution_fingerprint from {{ ref('int_identity_nodes_fingerprinted') }}

),

{% if previous is not none %}

previous as (

    select node_key, component_key, resolution_fingerprint, resolved_at
    from {{ previous }}
    -- rows of nodes gone from every source are kept there without a component
    where component_key is not null

),

seeds as (

    select node_key from fingerprints
    anti join previous using (node_key, resolution_fingerprint)
    union
    select node_key from previous
    anti join fingerprints using (node_key)

),

region as (

    select node_key from seeds
    union
    select node_key from previous
    where component_key in (select component_key from previous semi join seeds using (node_key))

),

{% endif %}

{% call c360.cte('component_nodes') %}

    -- relations, not the CTEs above: on Spark this is a view of its own (region exists on DuckDB only). The
    -- fingerprint rides through the components: no join back on the string key after them (memory).
    select node_key, resolution_fingerprint from {{ ref('int_identity_nodes_fingerprinted') }}
    {% if previous is not none %} semi join region using (node_key) {% endif %}

{% endcall %},

{% call c360.cte('component_edges') %}

    select node_key_a, node_key_b from {{ ref('int_identity_edges') }}
    {% if previous is not none %} where node_key_a in (select node_key from region) {% endif %}

{% endcall %},

components as (

    {{ connected_components('component_nodes', 'component_edges') }}

),

resolved as (

    select node_key, cluster_key as component_key, resolution_fingerprint, true as is_resolved,
        cast('{{ run_started_at }}' as {{ c360.type_timestamptz() }}) as resolved_at
    from components
    {% if previous is not none %}
    union all
    -- outside the region every node's fingerprint is the one it had (a changed one makes the node a seed)
    select node_key, component_key, resolution_fingerprint, false, resolved_at from previous
    anti join region using (node_key)
    {% endif %}

)

select
    node_key,
    component_key,
    count(*) over (partition by component_key) as component_size,
    resolution_fingerprint,
    is_resolved,
    resolved_at
from resolved
