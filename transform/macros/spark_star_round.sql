{#- One round of large-star then small-star (c360/spark_graph.py) over the edge table `edges` (src < dst), as a
    select of the next edge set: large-star attaches every larger neighbour of a node to the smallest node of its
    neighbourhood; small-star attaches a node and its smaller neighbours to the smallest of them. A fixed point
    is a set of stars around each component's smallest node. Used by spark__connected_components. -#}
{% macro spark_star_round(edges) -%}
with
    both_ways as (
        select src, dst from {{ edges }}
        union all
        select dst as src, src as dst from {{ edges }}
    ),
    large_smallest as (
        select src, least(min(dst), src) as m from both_ways group by src
    ),
    large as (
        select distinct both_ways.dst as src, large_smallest.m as dst
        from both_ways inner join large_smallest on large_smallest.src = both_ways.src
        where both_ways.dst > both_ways.src
    ),
    down as (
        select distinct greatest(src, dst) as src, least(src, dst) as dst from large
    ),
    small_smallest as (
        select src, min(dst) as m from down group by src
    )
select distinct src, dst from (
    select down.dst as src, small_smallest.m as dst
    from down inner join small_smallest on small_smallest.src = down.src
    where down.dst <> small_smallest.m
    union all
    select src, m as dst from small_smallest
)
{%- endmacro %}
