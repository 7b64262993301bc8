{#- The materialization of the models that DuckDB builds incrementally (delete+insert by unique_key):
    `incremental` on DuckDB. Spark's plain Parquet tables support neither DELETE nor MERGE (those need Delta or
    Iceberg, whose jars the local pyspark does not carry: docs/readme/spark.md), so on Spark these models are
    rebuilt in full (`table`; is_incremental() is then false and the model reads all of its input).

      config(materialized=c360.incremental_materialization(), unique_key='...', incremental_strategy='delete+insert')
-#}
{% macro incremental_materialization() -%}
    {{ return(adapter.dispatch('incremental_materialization', 'c360')()) }}
{%- endmacro %}

{% macro default__incremental_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__incremental_materialization() -%}
    {{ return('table') }}
{%- endmacro %}
