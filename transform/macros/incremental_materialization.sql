{#- The materialization of the models that DuckDB builds incrementally (delete+insert by unique_key):
    `incremental` on DuckDB. Spark's plain Parquet tables support neither DELETE nor MERGE (those need Delta or
    Iceberg, whose jars the local pyspark does not carry: docs/readme/spark.md), so on Spark these models are
    rebuilt in full: `on_spark` (default `table`; is_incremental() is then false and the model reads all of its
    input). The staging models of the large event tables pass `view`, like every other staging model on Spark.

      config(materialized=c360.incremental_materialization(), unique_key='...', incremental_strategy='delete+insert')
      config(materialized=c360.incremental_materialization('view'), ...)      -- a staging event table
-#}
{% macro incremental_materialization(on_spark='table') -%}
    {{ return(adapter.dispatch('incremental_materialization', 'c360')(on_spark)) }}
{%- endmacro %}

{% macro default__incremental_materialization(on_spark) -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__incremental_materialization(on_spark) -%}
    {{ return(on_spark) }}
{%- endmacro %}
