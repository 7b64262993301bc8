{%- set previous = c360.identity_previous_state() -%}

-- Pairs of records that must not end up as one customer although the evidence joins them into one component:
--   contradiction  the two records contradict each other (macro identity_records_contradict: two of given name,
--                  birth date, surname, e-mail clearly differ, one of them the given name or the birth date);
--   cannot_link    a steward said so (int_identity_overrides).
-- Only records with a given name or a birth date can contradict; components with more than var('identity_max_conflict_check')
-- of them are left to the cluster size guard (int_identity_clusters) so the pairwise check stays small.
-- Only the components int_identity_components resolved in this run are checked; the pairs of the others are
-- kept from the previous run (incremental identity, see int_identity_components).

with

components as (

    select * from {{ ref('int_identity_components') }}
    -- without a usable previous state every node is resolved, whatever the components table says
    {% if previous is not none %} where is_resolved {% endif %}

),

named as (

    select components.component_key, nodes.node_key, nodes.first_name_canonical, nodes.last_name, nodes.birth_date,
        nodes.email
    from components
    inner join {{ ref('int_identity_nodes') }} as nodes using (node_key)
    where (nodes.first_name_canonical is not null or nodes.birth_date is not null) and not nodes.is_staff

),

checkable as (

    select * from named
    where component_key in (
        select component_key from named group by component_key
        having count(*) between 2 and {{ var('identity_max_conflict_check') }}
    )

),

contradictions as (

    select a.node_key as node_key_a, b.node_key as node_key_b, 'contradiction' as reason
    from checkable as a
    inner join checkable as b
        on a.component_key = b.component_key and a.node_key < b.node_key
    where {{ identity_records_contradict('a', 'b') }}

),

cannot_links as (

    select least(overrides.node_key_a, overrides.node_key_b) as node_key_a,
        greatest(overrides.node_key_a, overrides.node_key_b) as node_key_b,
        'cannot_link' as reason
    from {{ ref('int_identity_overrides') }} as overrides
    inner join components as a on a.node_key = overrides.node_key_a
    inner join components as b on b.node_key = overrides.node_key_b
    where overrides.action = 'cannot_link' and a.component_key = b.component_key

)

select node_key_a, node_key_b, min(reason) as reason,
    cast('{{ run_started_at }}' as {{ c360.type_timestamptz() }}) as resolved_at
from (select * from contradictions union all select * from cannot_links)
group by node_key_a, node_key_b
{{ c360.identity_kept_rows(previous, this, ['node_key_a', 'node_key_b', 'reason', 'resolved_at'], 'node_key_a') }}
