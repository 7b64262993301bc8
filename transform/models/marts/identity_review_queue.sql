-- Matches a steward should decide: pairs of profile records the identity model scores between
-- var('identity_review_threshold') and var('identity_match_threshold'), and pairs above it that agree on nothing
-- but the name (is_corroborated false), so they do not link on their own.
-- Each row shows both records side by side with the model's evidence. A decision (`c360 identity decide`) is
-- written to the overrides file (var identity_overrides_path) and applied on the next run: must_link joins the
-- records, cannot_link keeps them apart; either way the pair leaves this queue. Pairs already in one customer
-- (joined by other evidence) need no decision and are not listed.

with

candidates as (

    select node_key_a, node_key_b, match_probability, match_weight, evidence
    from {{ ref('int_identity_matches_predicted') }}
    where match_probability < {{ var('identity_match_threshold') }}
       -- a likely pair that agrees on nothing but the name does not link on its own either
       or not is_corroborated

),

decided as (

    select least(node_key_a, node_key_b) as node_key_a, greatest(node_key_a, node_key_b) as node_key_b
    from {{ ref('int_identity_overrides') }}

),

profiles as (

    select * from {{ ref('int_identity_profiles') }}

),

customers as (

    select node_key, customer_id from {{ ref('int_customer_ids_assigned') }}

),

queue as (

    select candidates.*
    from candidates
    anti join decided using (node_key_a, node_key_b)

)

select
    queue.node_key_a,
    queue.node_key_b,
    queue.match_probability,
    queue.match_weight,
    queue.evidence,
    customer_a.customer_id as customer_id_a,
    customer_b.customer_id as customer_id_b,
    a.source as source_a,
    substr(queue.node_key_a, length(a.source) + 2) as source_record_id_a,
    b.source as source_b,
    substr(queue.node_key_b, length(b.source) + 2) as source_record_id_b,
    concat_ws(' ', a.first_name, a.last_name) as name_a,
    concat_ws(' ', b.first_name, b.last_name) as name_b,
    a.birth_date as birth_date_a,
    b.birth_date as birth_date_b,
    concat_ws(', ', a.street_normalized, a.postal_code, a.city) as address_a,
    concat_ws(', ', b.street_normalized, b.postal_code, b.city) as address_b,
    a.email as email_a,
    b.email as email_b,
    a.phone as phone_a,
    b.phone as phone_b
from queue
inner join profiles as a on a.node_key = queue.node_key_a
inner join profiles as b on b.node_key = queue.node_key_b
left join customers as customer_a on customer_a.node_key = queue.node_key_a
left join customers as customer_b on customer_b.node_key = queue.node_key_b
where customer_a.customer_id is distinct from customer_b.customer_id
order by queue.match_probability desc, queue.node_key_a, queue.node_key_b
