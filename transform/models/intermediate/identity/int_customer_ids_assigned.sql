{{
    config(
        materialized=c360.incremental_materialization(),
        unique_key='node_key',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
    )
}}
{%- set previous = c360.identity_previous_state() %}

-- The node -> customer_id assignment, kept from run to run (this model reads its own previous state, {{ this }}),
-- so a customer keeps its customer_id:
--   * each previous id stays with the one current cluster holding most of the nodes that had it
--     (ties: the smallest cluster_key);
--   * a cluster that holds several previous ids (a merge) keeps the OLDEST (first assigned) one;
--   * a cluster that holds none (new people, or the part of a split that lost the id) gets a new id minted from
--     its smallest node key: 'C' + 15 hex digits of md5(cluster_key), deterministic across rebuilds.
-- A node whose id changed records it (previous_customer_id, change_reason merge/split, changed_at), from which
-- customer_id_history is appended. Nodes no longer in any source keep their last row (they never lose history),
-- without a component.
--
-- This table is also the state incremental identity starts from (macro identity_previous_state): each node's
-- component, first-pass cluster and resolution fingerprint. A run writes only the rows of the nodes
-- int_identity_components resolved in it and of nodes gone since the previous run; every other customer keeps its
-- id and its row, untouched. The claims below then run over exactly the nodes that could change: a previous id's
-- nodes all lie in one previous component, and a resolved region holds whole previous components.

with

clusters as (

    select clusters.node_key, clusters.cluster_key, clusters.first_pass_cluster_key, components.component_key,
        components.resolution_fingerprint
    from {{ ref('int_identity_clusters') }} as clusters
    inner join {{ ref('int_identity_components') }} as components using (node_key)
    -- without a usable previous state every node is resolved, whatever the components table says
    {% if previous is not none %} where components.is_resolved {% endif %}

),

prior as (

    {% if is_incremental() %}
    select node_key, customer_id as prior_customer_id, customer_id_assigned_at as prior_assigned_at
    from {{ this }}
    {% if previous is not none %}
    where node_key in (select node_key from clusters)
    {% endif %}
    {% else %}
    select cast(null as {{ dbt.type_string() }}) as node_key, cast(null as {{ dbt.type_string() }}) as prior_customer_id, cast(null as {{ c360.type_timestamptz() }}) as prior_assigned_at
    where false
    {% endif %}

),

claims as (

    select
        clusters.cluster_key,
        prior.prior_customer_id,
        min(prior.prior_assigned_at) as assigned_at,
        count(*) as node_count
    from clusters
    inner join prior using (node_key)
    group by all

),

claim_winners as (

    select *
    from claims
    qualify row_number() over (partition by prior_customer_id order by node_count desc, cluster_key) = 1

),

kept as (

    select cluster_key, prior_customer_id as customer_id, assigned_at
    from claim_winners
    qualify row_number() over (partition by cluster_key order by assigned_at, prior_customer_id) = 1

),

unassigned as (

    select distinct cluster_key
    from clusters
    where cluster_key not in (select cluster_key from kept)

),

-- the ids held after this run by clusters resolved in it and by those it left as they were
held as (

    select customer_id from kept
    {% if previous is not none %}
    union all
    select customer_id from {{ this }}
    -- nodes still in the sources whose component this run left as it was (not those gone since: as in a run
    -- that resolves everything, where only current clusters hold ids)
    where node_key in (select node_key from {{ ref('int_identity_components') }} where not is_resolved)
    {% endif %}

),

minted as (

    select
        cluster_key,
        -- a retired id minted from the same smallest node may not come back while another cluster still holds it
        case
            when 'C' || upper(left(md5(cluster_key), 15)) in (select customer_id from held)
                then 'C' || upper(left(md5(cluster_key || '@' || '{{ run_started_at }}'), 15))
            else 'C' || upper(left(md5(cluster_key), 15))
        end as customer_id,
        cast('{{ run_started_at }}' as {{ c360.type_timestamptz() }}) as assigned_at
    from unassigned

),

assigned as (

    select * from kept
    union all
    select * from minted

),

final as (

    select
        clusters.node_key,
        clusters.cluster_key,
        clusters.first_pass_cluster_key,
        clusters.component_key,
        clusters.resolution_fingerprint,
        assigned.customer_id,
        assigned.assigned_at as customer_id_assigned_at,
        prior.prior_customer_id as previous_customer_id,
        case
            when prior.prior_customer_id is null or prior.prior_customer_id = assigned.customer_id then null
            -- the old id lives on in another cluster: this part split off
            when prior.prior_customer_id in (select customer_id from assigned) then 'split'
            else 'merge'
        end as change_reason
    from clusters
    inner join assigned using (cluster_key)
    left join prior using (node_key)

)

select
    *,
    case when change_reason is not null then cast('{{ run_started_at }}' as {{ c360.type_timestamptz() }}) end as changed_at,
    cast('{{ run_started_at }}' as {{ c360.type_timestamptz() }}) as resolved_at
from final

{% if is_incremental() and this is not string and 'component_key' in c360.relation_columns(this) %}
union all
-- nodes gone from every source since the previous run: their last row stays, without a component
select node_key, cluster_key, first_pass_cluster_key, null, null, customer_id, customer_id_assigned_at,
    previous_customer_id, change_reason, changed_at, cast('{{ run_started_at }}' as {{ c360.type_timestamptz() }})
from {{ this }}
where component_key is not null
  and node_key not in (select node_key from {{ ref('int_identity_components') }})
{% endif %}
