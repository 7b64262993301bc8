-- Every identity node's resolution fingerprint (issue 11: incremental identity): a digest of the fields the
-- guards read (given name, surname, birth date, email, staff or not), every link the node has (other node, rule,
-- shared key), a steward's cannot-link pairs and the guard settings. int_identity_components resolves again only
-- the nodes whose fingerprint changed and their previous components. A table of its own so that the components'
-- query does not aggregate every link while it computes the components (memory at 1,000,000 customers).

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

    select node_key, {{ c360.unordered_hash_agg('link') }} as links
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

)

select node_key, resolution_fingerprint from fingerprints
