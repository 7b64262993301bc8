{#-
  Connected components of an undirected graph, in the warehouse: min-label propagation as a recursive CTE with
  USING KEY (DuckDB >= 1.3). Every node starts labelled with itself; each iteration only the nodes whose label
  dropped in the previous one (the working table) push their label to their neighbours, and a neighbour is
  updated only when that label is smaller than the one it holds (recurring.<cte> is the whole keyed table).
  Iterations = the graph's diameter, and the work per iteration is the frontier, not the graph, so it scales to
  millions of nodes (measured: docs/readme/transform.md; memory: below). Returns a select of every column of `nodes`
  and cluster_key, the smallest node_key of the node's component: columns a caller needs beside the cluster ride
  along instead of being joined back on the string key.

  nodes: a relation/CTE name with column node_key, one row per node (no column cluster_key); edges: one with columns
  node_key_a, node_key_b, both ends in `nodes` (an edge to any other node would join what it touches).
-#}
{% macro connected_components(nodes, edges) -%}
    {{ return(adapter.dispatch('connected_components', 'c360')(nodes, edges)) }}
{%- endmacro %}

{% macro default__connected_components(nodes, edges) -%}
    {#- Bounded memory (1,000,000 customers: 4.25 M nodes, 5.4 M edges, in DuckDB's 1 GB): DuckDB keeps the
        keyed table of a USING KEY recursion and a query's materialized CTEs in memory, so the recursion runs on
        numbers over a smaller graph and no string is held or joined on once it starts.
          1. A node's number is md5_number(node_key) (128 bits: a collision among a billion nodes has odds of
             about 1 in 10^20); no numbering table to join back through.
          2. cc_hooks: every node with an edge hooks onto its smallest neighbour or itself; each edge becomes one
             between hooks (cc_contracted: at 1M, half the nodes and a fifth of the edges). A node and its hook
             are one component, and every component keeps a hook.
          3. cc_labels: min-label propagation over the hooks; a component's label is its smallest number.
          4. `nodes` is read once more, each row with its label (a join on numbers); cluster_key, the smallest
             node_key of the label, is a window, which spills.
        The first versions (string keys; then a numbering table joined back) ran out of memory at 1 GB. -#}
    with recursive
        cc_pairs as materialized (
            select md5_number(node_key_a) as src, md5_number(node_key_b) as dst
            from {{ edges }}
            where node_key_a <> node_key_b
        ),

        cc_hooks as materialized (
            select id, least(id, min(neighbour)) as hook
            from (
                select src as id, dst as neighbour from cc_pairs
                union all
                select dst as id, src as neighbour from cc_pairs
            ) as incident
            group by id
        ),

        cc_contracted as materialized (
            select distinct a.hook as src, b.hook as dst
            from cc_pairs
            inner join cc_hooks as a on a.id = cc_pairs.src
            inner join cc_hooks as b on b.id = cc_pairs.dst
            where a.hook <> b.hook
        ),

        cc_undirected as materialized (
            select src, dst from cc_contracted
            union all
            select dst as src, src as dst from cc_contracted
        ),

        cc_labels (id, label) using key (id) as (
            select distinct hook, hook from cc_hooks
            union
            (
                select
                    e.dst as id,
                    min(changed.label) as label,
                from cc_labels as changed
                inner join cc_undirected as e on e.src = changed.id
                inner join recurring.cc_labels as current_labels on current_labels.id = e.dst
                group by e.dst
                having min(changed.label) < min(current_labels.label)
            )
        )

    select * exclude (cc_label), min(node_key) over (partition by cc_label) as cluster_key
    from (
        select nodes.*, coalesce(cc_labels.label, md5_number(nodes.node_key)) as cc_label
        from {{ nodes }} as nodes
        left join cc_hooks on cc_hooks.id = md5_number(nodes.node_key)
        left join cc_labels on cc_labels.id = cc_hooks.hook
    ) as labelled
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
    select cc_nodes.*, cc.cluster_key from {{ nodes }} as cc_nodes inner join {{ prefix }} as cc on cc.node_key = cc_nodes.node_key
{%- endmacro %}
