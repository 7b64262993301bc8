{#-
  The identity resolution of the previous run, when this run may resolve only what changed since
  (issue 11: incremental identity): the relation of int_customer_ids_assigned, the last model of the resolution
  and so its committed state - a run killed half-way leaves it at the previous complete run, and the next run
  resolves everything changed since that one. `none` means resolve every node:
    * the engine keeps no state (Spark's plain Parquet tables are rebuilt in full, like every incremental model);
    * `dbt build --full-refresh`, or var identity_resolve_all (after a change to the resolution's code: the
      contradiction rule, the guard);
    * the first run, or a state written before the resolution fingerprint existed, or a missing model table;
    * a model table holding rows resolved after that state by another run (a run that died between the models:
      its rows cannot be trusted to match the state, so everything is resolved again).
  Read without ref(): the state is the previous run's, written after the models that read it (as {{ this }} is).
-#}
{% macro identity_previous_state() -%}
    {#- a unit test's `this` is its fixture (a name, or none): it tests the model on its given rows alone -#}
    {%- if not execute or this is none or this is string or target.type != 'duckdb' or flags.FULL_REFRESH
           or var('identity_resolve_all') -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set state = adapter.get_relation(database=this.database, schema=this.schema, identifier='int_customer_ids_assigned') -%}
    {%- if state is none or 'resolution_fingerprint' not in c360.relation_columns(state) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set checks = [] -%}
    {%- for identifier in ['int_identity_components', 'int_identity_conflicts', 'int_identity_edges_cut', 'int_identity_clusters'] -%}
        {%- set relation = adapter.get_relation(database=this.database, schema=this.schema, identifier=identifier) -%}
        {%- if relation is none or 'resolved_at' not in c360.relation_columns(relation) -%}
            {{ return(none) }}
        {%- endif -%}
        {%- do checks.append('select count(*) as n from ' ~ relation ~ ' where resolved_at > (select max(resolved_at) from '
                             ~ state ~ ") and resolved_at <> cast('" ~ run_started_at ~ "' as " ~ c360.type_timestamptz() ~ ')') -%}
    {%- endfor -%}
    {%- if run_query('select sum(n) from (' ~ checks | join(' union all ') ~ ')').columns[0].values()[0] > 0 -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(state) }}
{%- endmacro %}
