{%- set previous = c360.identity_previous_state() -%}

-- Connected components of all the evidence (int_identity_edges) before any guard: what the evidence alone would
-- merge. The guards work on these components: contradicting records inside one (int_identity_conflicts) make
-- int_identity_edges_cut cut the weakest evidence between them. component_key is the smallest node_key.
--
-- Incremental identity (issue 11): every node has a resolution_fingerprint - the fields the guards read (given
-- name, surname, birth date, email, staff or not), every link it has (other node, rule, shared key), a steward's
-- cannot-link pairs and the guard settings. Everything the resolution decides within a component is a function
-- of its nodes' fingerprints, so a run resolves again only the region of nodes whose fingerprint changed (or that
-- appeared or disappeared) since the previous run's state (macro identity_previous_state: int_customer_ids_assigned)
-- together with every node of their previous components; elsewhere the previous result stands (is_resolved false).
-- That region is a union of whole current components: a current link into it is either new (both ends changed)
-- or old (both ends were in one previous component). A link's score is no part of the fingerprint: only the
-- order of two probabilistic links inside one conflicted component depends on it, and scores move a little with
-- every load (term frequencies and the prior are the data's), so such an order is that of the component's last
-- resolution.

with

nodes as (

    select node_key, first_name_canonical, last_name, birth_date, email, is_staff
    from {{ ref('int_identity_nodes') }}

),

evidence as (

    select node_key_a, node_key_b, rule, shared_key from {{ ref('int_identity_edges') }}

),

cannot_links as (

    select node_key_a, node_key_b from {{ ref('int_identity_overrides') }} where action = 'cannot_link'

),

incident as (

    select node_key_a as node_key, node_key_b || '|' || rule || '|' || coalesce(shared_key, '') as link from evidence
    union all
    select node_key_b, node_key_a || '|' || rule || '|' || coalesce(shared_key, '') from evidence
    union all
    select node_key_a, node_key_b || '|cannot_link|' from cannot_links
    union all
    select node_key_b, node_key_a || '|cannot_link|' from cannot_links

),

incident_links as (

    select node_key, {{ c360.sorted_string_agg('link') }} as links
    from incident
    group by node_key

),

fingerprints as (

    select
        nodes.node_key,
        md5(concat_ws('~',
            '{{ var("identity_max_cluster_size") }}/{{ var("identity_max_conflict_check") }}',
            coalesce(nodes.first_name_canonical, ''),
            coalesce(nodes.last_name, ''),
            coalesce(cast(nodes.birth_date as {{ dbt.type_string() }}), ''),
            coalesce(nodes.email, ''),
            cast(nodes.is_staff as {{ dbt.type_string() }}),
            coalesce(incident_links.links, '')
        )) as resolution_fingerprint
    from nodes
    left join incident_links using (node_key)

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

    -- relations, not the CTEs above: on Spark this is a view of its own (region exists on DuckDB only)
    select node_key from {{ ref('int_identity_nodes') }}
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

    select node_key, cluster_key as component_key, true as is_resolved,
        cast('{{ run_started_at }}' as {{ c360.type_timestamptz() }}) as resolved_at
    from components
    {% if previous is not none %}
    union all
    select node_key, component_key, false, resolved_at from previous
    anti join region using (node_key)
    {% endif %}

)

select
    resolved.node_key,
    resolved.component_key,
    count(*) over (partition by resolved.component_key) as component_size,
    fingerprints.resolution_fingerprint,
    resolved.is_resolved,
    resolved.resolved_at
from resolved
inner join fingerprints using (node_key)
