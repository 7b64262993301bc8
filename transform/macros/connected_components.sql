{#-
  Connected components of an undirected graph, in the warehouse: min-label propagation as a recursive CTE with
  USING KEY (DuckDB >= 1.3). Every node starts labelled with itself; each iteration only the nodes whose label
  dropped in the previous one (the working table) push their label to their neighbours, and a neighbour is
  updated only when that label is smaller than the one it holds (recurring.<cte> is the whole keyed table).
  Iterations = the graph's diameter, and the work per iteration is the frontier, not the graph, so it scales to
  millions of nodes (measured: docs/readme/transform.md). Returns a select of (node_key, cluster_key), where
  cluster_key is the smallest node_key of the component.

  nodes: a relation/CTE name with column node_key; edges: one with columns node_key_a, node_key_b.
-#}
{% macro connected_components(nodes, edges) -%}
    {{ return(adapter.dispatch('connected_components', 'c360')(nodes, edges)) }}
{%- endmacro %}

{% macro default__connected_components(nodes, edges) -%}
    with recursive
        cc_undirected as (
            select node_key_a as src, node_key_b as dst from {{ edges }}
            union all
            select node_key_b as src, node_key_a as dst from {{ edges }}
        ),

        cc_labels (node_key, cluster_key) using key (node_key) as (
            select node_key, node_key from {{ nodes }}
            union
            (
                select
                    e.dst as node_key,
                    min(changed.cluster_key) as cluster_key,
                from cc_labels as changed
                inner join cc_undirected as e on e.src = changed.node_key
                inner join recurring.cc_labels as current_labels on current_labels.node_key = e.dst
                group by e.dst
                having min(changed.cluster_key) < min(current_labels.cluster_key)
            )
        )

    select node_key, cluster_key from cc_labels
{%- endmacro %}


{#-
  Spark has no keyed recursion (and allows no aggregate over a recursive reference), so the components are computed
  while the model compiles, by large-star / small-star (Kiveris et al. 2014; the algorithm of c360/spark_graph.py)
  in rounds of SQL, each round one table, until a round leaves the edge set unchanged: O(log n) rounds, each a few
  shuffles of the edge list, so it scales with the cluster. `nodes` and `edges` must be readable outside the model's
  query: relations, or CTEs declared with c360.cte (a temporary view on Spark). The result stays in the table
  <model>__cc_<edges> next to the model (rebuilt every run); the rounds' tables are dropped.
-#}
{% macro spark__connected_components(nodes, edges) -%}
    {%- if not execute -%}
        {{ return('select cast(null as string) as node_key, cast(null as string) as cluster_key') }}
    {%- endif -%}
    {%- set prefix = this.schema ~ '.' ~ this.identifier ~ '__cc_' ~ (edges | string).split('.')[-1] | replace('`', '') -%}
    {%- do run_query('drop table if exists ' ~ prefix ~ '_round_0') -%}
    {%- do run_query('create table ' ~ prefix ~ '_round_0 using parquet as select distinct least(node_key_a, node_key_b) as src, '
                     ~ 'greatest(node_key_a, node_key_b) as dst from ' ~ edges ~ ' where node_key_a <> node_key_b') -%}
    {%- set state = namespace(current=prefix ~ '_round_0', done=false) -%}
    {%- for round in range(1, 101) if not state.done -%}
        {%- set following = prefix ~ '_round_' ~ round -%}
        {%- do run_query('drop table if exists ' ~ following) -%}
        {%- do run_query('create table ' ~ following ~ ' using parquet as ' ~ c360.spark_star_round(state.current)) -%}
        {%- set unchanged = run_query('select (select count(*) from ' ~ following ~ ') = (select count(*) from ' ~ state.current ~ ')'
                                      ~ ' and not exists (select src, dst from ' ~ following ~ ' except select src, dst from ' ~ state.current ~ ')').columns[0].values()[0] -%}
        {%- do run_query('drop table ' ~ state.current) -%}
        {%- set state.current = following -%}
        {%- if unchanged -%}
            {%- set state.done = true -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not state.done -%}
        {{ exceptions.raise_compiler_error('connected components did not converge in 100 rounds') }}
    {%- endif -%}
    {%- do run_query('drop table if exists ' ~ prefix) -%}
    {%- do run_query('create table ' ~ prefix ~ ' using parquet as select nodes.node_key, '
                     ~ 'least(coalesce(min(edges.dst), nodes.node_key), nodes.node_key) as cluster_key '
                     ~ 'from (select distinct node_key from ' ~ nodes ~ ') as nodes '
                     ~ 'left join ' ~ state.current ~ ' as edges on edges.src = nodes.node_key group by nodes.node_key') -%}
    {%- do run_query('drop table ' ~ state.current) -%}
    select node_key, cluster_key from {{ prefix }}
{%- endmacro %}
