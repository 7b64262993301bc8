-- Evidence that two identity nodes are the same person: one row per (node_key_a < node_key_b, rule).
--
-- Deterministic rules (score 1): shared normalized email, shared normalized phone, the same claimed sales
-- customer id (a sales record's own id, a Zendesk external_id, a Segment userId), a Segment anonymousId
-- seen in the same event as a userId, and a Segment alias call (previousId -> userId). Nodes sharing a key are linked as a star to the group's smallest node:
-- the components are the same as with all pairs, at linear cost.
--
-- Probabilistic rule (`probabilistic`), between profile records (sales, support, web_user): the pairs the trained
-- identity model scores at >= var('identity_match_threshold') and that agree on a field besides the name
-- (int_identity_matches_predicted.is_corroborated); the score is the match probability and `evidence` names the
-- comparison level of every field.
--
-- Guards: an email / phone / customer id held by more than var('identity_max_records_per_key') records of one
-- profile source, or by records that contradict each other (int_identity_keys_overshared), links nothing.

with

nodes as (

    select * from {{ ref('int_identity_nodes') }}
    where not is_staff

),

keys as (

    select node_key, source, key_type, key_value from {{ ref('int_identity_keys') }}

),

overshared as (

    select key_type, key_value from {{ ref('int_identity_keys_overshared') }}

),

usable_keys as (

    select keys.*
    from keys
    anti join overshared using (key_type, key_value)

),

key_edges as (

    select
        min(node_key) over (partition by key_type, key_value) as node_key_a,
        node_key as node_key_b,
        key_type as rule,
        1.0::double as score,
        key_type || ':' || key_value as shared_key
    from usable_keys

),

-- SendGrid records of one normalized mailbox (john.smith@gmail.com, johnsmith+shop@gmail.com) are that mailbox,
-- whoever shares it: they link to each other even when the address is a household's or a team's and links no
-- person (int_identity_keys_overshared, the cluster guard)
mailbox_edges as (

    select
        min(node_key) over (partition by email) as node_key_a,
        node_key as node_key_b,
        'email' as rule,
        1.0::double as score,
        cast(null as {{ dbt.type_string() }}) as shared_key
    from nodes
    where source = 'email' and email is not null

),

anonymous_edges as (

    select distinct
        least('web_anonymous:' || anonymous_id, 'web_user:' || user_id) as node_key_a,
        greatest('web_anonymous:' || anonymous_id, 'web_user:' || user_id) as node_key_b,
        'anonymous_id_with_user_id' as rule,
        1.0::double as score,
        'anonymous_id:' || anonymous_id as shared_key
    from {{ ref('int_web_identifiers_observed') }}
    where anonymous_id is not null and user_id is not null
      -- an anonymousId shared by too many users is a shared device or a bot, not a person
      and anonymous_id not in (select key_value from overshared where key_type = 'anonymous_id')

),

-- Segment alias calls: previousId (a cookie's anonymousId or an earlier userId) is the same user as userId. Only
-- ids that are identity nodes link; an over-shared anonymousId links nothing, as above. Each alias is tried as
-- both node kinds, so the join below is an equality (`node_key in (both)` made DuckDB compare every alias with
-- every node: 109 s CPU at 100,000 customers).
alias_keys as (

    select *, 'web_anonymous:' || previous_id as previous_key from {{ ref('stg_web__aliases') }}
    union all
    select *, 'web_user:' || previous_id as previous_key from {{ ref('stg_web__aliases') }}

),

alias_edges as (

    select distinct
        least(previous.node_key, renamed.node_key) as node_key_a,
        greatest(previous.node_key, renamed.node_key) as node_key_b,
        'alias' as rule,
        1.0::double as score,
        'anonymous_id:' || aliases.previous_id as shared_key
    from alias_keys as aliases
    inner join nodes as previous on previous.node_key = aliases.previous_key
    inner join nodes as renamed on renamed.node_key = 'web_user:' || aliases.user_id
    where previous.node_key <> renamed.node_key
      and aliases.previous_id not in (select key_value from overshared where key_type = 'anonymous_id')

),

probabilistic_edges as (

    select node_key_a, node_key_b, 'probabilistic' as rule, match_probability as score,
        cast(null as {{ dbt.type_string() }}) as shared_key, evidence
    from {{ ref('int_identity_matches_predicted') }}
    -- pairs between the review and the match threshold, and pairs that agree on nothing but the name, wait in
    -- marts.identity_review_queue instead
    where match_probability >= {{ var('identity_match_threshold') }}
      and is_corroborated

),

-- a steward's must-link decision (int_identity_overrides) is the strongest evidence there is
steward_edges as (

    select
        least(node_key_a, node_key_b) as node_key_a,
        greatest(node_key_a, node_key_b) as node_key_b,
        'steward_must_link' as rule,
        1.0::double as score,
        cast(null as {{ dbt.type_string() }}) as shared_key,
        'steward: ' || coalesce(reason, 'must link') || ' (' || coalesce(decided_by, '?') || ', '
            || coalesce(cast(decided_at::date as {{ dbt.type_string() }}), '?') || ')' as evidence
    from {{ ref('int_identity_overrides') }}
    where action = 'must_link'
      and node_key_a in (select node_key from {{ ref('int_identity_nodes') }})
      and node_key_b in (select node_key from {{ ref('int_identity_nodes') }})

),

all_edges as (

    select *, cast(null as {{ dbt.type_string() }}) as evidence from key_edges where node_key_a <> node_key_b
    union all
    select *, cast(null as {{ dbt.type_string() }}) as evidence from mailbox_edges where node_key_a <> node_key_b
    union all
    select *, cast(null as {{ dbt.type_string() }}) as evidence from anonymous_edges
    union all
    select *, cast(null as {{ dbt.type_string() }}) as evidence from alias_edges
    union all
    select * from probabilistic_edges
    union all
    select * from steward_edges

)

-- One row per (pair, rule): the strongest, then the smallest shared key, then the largest evidence. A window, not a
-- GROUP BY with min/max of strings: DuckDB cannot spill string aggregate states, and that group-by ran out of its
-- 1 GB at 1,000,000 customers (about 5 M edges); the window sorts, and sorting spills.
select
    node_key_a,
    node_key_b,
    rule,
    score,
    -- the identifier a key rule shares (one, if the pair shares several): the cluster guard drops every link of a
    -- key it finds joining records that must stay apart (int_identity_edges_cut); two SendGrid records of one
    -- mailbox share none (they stay one mailbox)
    case when not (node_key_a like 'email:%' and node_key_b like 'email:%') then shared_key end as shared_key,
    -- the comparison levels behind a probabilistic link; a key rule's evidence is its rule name
    coalesce(evidence, rule) as evidence,
    rule = 'probabilistic' as is_fuzzy
from all_edges
qualify row_number() over (
    partition by node_key_a, node_key_b, rule
    order by score desc, shared_key asc nulls last, evidence desc nulls last
) = 1
