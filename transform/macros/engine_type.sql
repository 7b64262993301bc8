{#- A column type as the source YAMLs and macros declare it (DuckDB's names: varchar, timestamptz, ...) in the
    engine's own spelling; unchanged on DuckDB, spark_type() on Spark. -#}
{% macro engine_type(data_type) -%}
    {{ return(adapter.dispatch('engine_type', 'c360')(data_type)) }}
{%- endmacro %}

{% macro default__engine_type(data_type) -%}
    {{ return(data_type) }}
{%- endmacro %}

{% macro spark__engine_type(data_type) -%}
    {{ return(c360.spark_type(data_type)) }}
{%- endmacro %}
