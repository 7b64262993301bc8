-- Evidence that two identity nodes are the same person: one row per (node_key_a < node_key_b, rule).
--
-- Deterministic rules (score 1): shared normalized email, shared normalized phone, the same claimed sales
-- customer id (a sales record's own id, a Zendesk external_id, a Segment userId), a Segment anonymousId
-- seen in the same event as a userId, and a Segment alias call (previousId -> userId). Nodes sharing a key are linked as a star to the group's smallest node:
-- the components are the same as with all pairs, at linear cost.
--
-- Fuzzy rules, only between profile records (sales, support, web_user) on blocked candidate pairs; the score
-- is the Jaro-Winkler similarity of "first last" (nickname-canonical first name, swapped order also tried):
--   fuzzy_name_birth_date  same birth date and name score >= var('identity_fuzzy_name_threshold')
--   fuzzy_name_address     same postal code, street similarity >= var('identity_fuzzy_street_threshold') and
--                          name score >= threshold, and no conflicting birth dates
--
-- Guards: an email / phone / customer id held by more than var('identity_max_records_per_key') records of one
-- profile source is a shared or placeholder value and links nothing (see int_identity_keys_overshared); a fuzzy
-- candidate block (birth date, postal code) larger than var('identity_max_block_size') is skipped.

with

nodes as (

    select * from {{ ref('int_identity_nodes') }}
    where not is_staff

),

keys as (

    select node_key, source, 'email' as key_type, email as key_value from nodes where email is not null
    union all
    select node_key, source, 'phone', phone from nodes where phone is not null
    union all
    select node_key, source, 'customer_id', customer_ref from nodes where customer_ref is not null

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
    from usable_keys

),

anonymous_edges as (

    select distinct
        least('web_anonymous:' || anonymous_id, 'web_user:' || user_id) as node_key_a,
        greatest('web_anonymous:' || anonymous_id, 'web_user:' || user_id) as node_key_b,
        'anonymous_id_with_user_id' as rule,
        1.0::double as score,
    from {{ ref('int_web_identifiers_observed') }}
    where anonymous_id is not null and user_id is not null
      -- an anonymousId shared by too many users is a shared device or a bot, not a person
      and anonymous_id not in (select key_value from overshared where key_type = 'anonymous_id')

),

-- Segment alias calls: previousId (a cookie's anonymousId or an earlier userId) is the same user as userId. Only
-- ids that are identity nodes link; an over-shared anonymousId links nothing, as above.
alias_edges as (

    select distinct
        least(previous.node_key, renamed.node_key) as node_key_a,
        greatest(previous.node_key, renamed.node_key) as node_key_b,
        'alias' as rule,
        1.0::double as score,
    from {{ ref('stg_web__aliases') }} as aliases
    inner join nodes as previous
        on previous.node_key in ('web_anonymous:' || aliases.previous_id, 'web_user:' || aliases.previous_id)
    inner join nodes as renamed on renamed.node_key = 'web_user:' || aliases.user_id
    where previous.node_key <> renamed.node_key
      and aliases.previous_id not in (select key_value from overshared where key_type = 'anonymous_id')

),

profiles as (

    select
        node_key,
        first_name_canonical || ' ' || last_name as full_name,
        last_name || ' ' || first_name_canonical as full_name_swapped,
        birth_date,
        postal_code,
        street_normalized,
    from nodes
    where source in ('sales', 'support', 'web_user')
      and first_name_canonical is not null
      and last_name is not null

),

-- A block larger than var('identity_max_block_size') is a placeholder (1900-01-01, a shop's own postal code)
-- or too common to compare all pairs: it is skipped rather than letting one value cost quadratic time.
usable_birth_dates as (

    select birth_date from profiles where birth_date is not null
    group by birth_date having count(*) <= {{ var('identity_max_block_size') }}

),

usable_postal_codes as (

    select postal_code from profiles where postal_code is not null and street_normalized is not null
    group by postal_code having count(*) <= {{ var('identity_max_block_size') }}

),

name_pairs_by_birth_date as (

    select
        a.node_key as node_key_a,
        b.node_key as node_key_b,
        greatest(
            jaro_winkler_similarity(a.full_name, b.full_name),
            jaro_winkler_similarity(a.full_name_swapped, b.full_name)
        ) as score,
    from profiles as a
    inner join profiles as b
        on a.birth_date = b.birth_date
        and a.node_key < b.node_key
    where a.birth_date in (select birth_date from usable_birth_dates)

),

name_pairs_by_address as (

    select
        a.node_key as node_key_a,
        b.node_key as node_key_b,
        greatest(
            jaro_winkler_similarity(a.full_name, b.full_name),
            jaro_winkler_similarity(a.full_name_swapped, b.full_name)
        ) as name_score,
        jaro_winkler_similarity(a.street_normalized, b.street_normalized) as street_score,
    from profiles as a
    inner join profiles as b
        on a.postal_code = b.postal_code
        and a.node_key < b.node_key
    where a.street_normalized is not null
      and b.street_normalized is not null
      and a.postal_code in (select postal_code from usable_postal_codes)
      and (a.birth_date is null or b.birth_date is null or a.birth_date = b.birth_date)

),

fuzzy_edges as (

    select node_key_a, node_key_b, 'fuzzy_name_birth_date' as rule, score
    from name_pairs_by_birth_date
    where score >= {{ var('identity_fuzzy_name_threshold') }}

    union all

    select node_key_a, node_key_b, 'fuzzy_name_address' as rule, least(name_score, street_score) as score
    from name_pairs_by_address
    where name_score >= {{ var('identity_fuzzy_name_threshold') }}
      and street_score >= {{ var('identity_fuzzy_street_threshold') }}

),

all_edges as (

    select * from key_edges where node_key_a <> node_key_b
    union all
    select * from anonymous_edges
    union all
    select * from alias_edges
    union all
    select * from fuzzy_edges

)

select
    node_key_a,
    node_key_b,
    rule,
    max(score) as score,
    starts_with(rule, 'fuzzy_') as is_fuzzy,
from all_edges
group by node_key_a, node_key_b, rule
