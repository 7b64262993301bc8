-- First-pass clusters larger than var('identity_max_cluster_size'): what was split, how, and whether the split
-- brought every part under the limit (is_resolved). An unresolved one is held together by deterministic keys
-- and needs a steward's look (or a blocklist entry).

with

clusters as (

    select * from {{ ref('int_identity_clusters') }}

),

edges as (

    select * from {{ ref('int_identity_edges') }}

),

oversized as (

    select first_pass_cluster_key, count(*) as node_count
    from clusters
    group by first_pass_cluster_key
    having count(*) > {{ var('identity_max_cluster_size') }}

),

parts as (

    select
        first_pass_cluster_key,
        count(distinct cluster_key) as part_count,
        max(cluster_size) as largest_part_size
    from clusters
    where first_pass_cluster_key in (select first_pass_cluster_key from oversized)
    group by first_pass_cluster_key

),

dropped as (

    select clusters.first_pass_cluster_key, count(*) as fuzzy_edges_dropped
    from edges
    inner join clusters on clusters.node_key = edges.node_key_a
    where edges.is_fuzzy
      and clusters.first_pass_cluster_key in (select first_pass_cluster_key from oversized)
    group by clusters.first_pass_cluster_key

)

select
    oversized.first_pass_cluster_key as cluster_key,
    oversized.node_count,
    coalesce(dropped.fuzzy_edges_dropped, 0) as fuzzy_edges_dropped,
    parts.part_count,
    parts.largest_part_size,
    parts.largest_part_size <= {{ var('identity_max_cluster_size') }} as is_resolved
from oversized
inner join parts using (first_pass_cluster_key)
left join dropped using (first_pass_cluster_key)
