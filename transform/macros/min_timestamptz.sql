{#- An instant before every real one, for "latest of a possibly missing time" comparisons: DuckDB's -infinity;
    Spark has no infinite timestamps, so its smallest (0001-01-01). -#}
{% macro min_timestamptz() -%}
    {{ return(adapter.dispatch('min_timestamptz', 'c360')()) }}
{%- endmacro %}

{% macro default__min_timestamptz() -%}
    cast('-infinity' as {{ c360.type_timestamptz() }})
{%- endmacro %}

{% macro spark__min_timestamptz() -%}
    timestamp'0001-01-01 00:00:00'
{%- endmacro %}
