{#-
  Makes the raw datasets readable as tables before a run (on-run-start; also `dbt run-operation register_raw_tables`).

  DuckDB: nothing to do - dlt loads the warehouse file dbt reads.
  Spark: dlt's filesystem destination wrote one Parquet folder per table under <C360_SPARK_DIR>/raw/<dataset>/
  (ingestion/pipelines.py). Each declared source table becomes an external Parquet table over its folder, with the
  schema of its source YAML (the one declaration of each vendor schema) plus dlt's loader columns. An explicit
  schema, not Spark's inference: a folder that does not exist yet (a nested table no row needed, a switched-off
  source) is an empty table instead of an error, and a column no record carried yet reads as NULL. The table is
  dropped and created again each run (dropping an external table keeps its files), so a changed declaration
  takes effect at once.
-#}
{% macro register_raw_tables() -%}
    {{ return(adapter.dispatch('register_raw_tables', 'c360')()) }}
{%- endmacro %}

{% macro default__register_raw_tables() -%}
{%- endmacro %}

{% macro spark__register_raw_tables() -%}
    {%- if execute -%}
        {%- set root = env_var('C360_SPARK_DIR', 'data/spark') ~ '/raw' -%}
        {%- set schemas = [] -%}
        {%- for node in graph.sources.values() if node.package_name == project_name -%}
            {%- set columns = [] -%}
            {%- set names = [] -%}
            {%- for column in node.columns.values() if column.data_type -%}
                {%- do columns.append('`' ~ column.name ~ '` ' ~ c360.spark_type(column.data_type)) -%}
                {%- do names.append(column.name | lower) -%}
            {%- endfor -%}
            {%- set loader = ['_dlt_load_id', '_dlt_id'] + (['_dlt_parent_id'] if '__' in node.identifier else []) -%}
            {%- for name in loader if name not in names -%}
                {%- do columns.append('`' ~ name ~ '` string') -%}
            {%- endfor -%}
            {%- if '__' in node.identifier and '_dlt_list_idx' not in names -%}
                {%- do columns.append('`_dlt_list_idx` bigint') -%}
            {%- endif -%}
            {%- if node.schema not in schemas -%}
                {%- do run_query('create database if not exists ' ~ node.schema) -%}
                {%- do schemas.append(node.schema) -%}
            {%- endif -%}
            {%- set relation = node.schema ~ '.' ~ node.identifier -%}
            {%- do run_query('drop table if exists ' ~ relation) -%}
            {%- do run_query('create table ' ~ relation ~ ' (' ~ columns | join(', ') ~ ') using parquet location '
                             ~ "'" ~ root ~ '/' ~ node.schema ~ '/' ~ node.identifier ~ "'") -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
