{#- One row per integer from `start` to `stop` inclusive, as a select-list expression (a set-returning function):
    DuckDB's unnest(generate_series(...)), Spark's explode(sequence(...)). -#}
{% macro unnest_range(start, stop) -%}
    {{ return(adapter.dispatch('unnest_range', 'c360')(start, stop)) }}
{%- endmacro %}

{% macro default__unnest_range(start, stop) -%}
    unnest(generate_series({{ start }}, {{ stop }}))
{%- endmacro %}

{% macro spark__unnest_range(start, stop) -%}
    explode(sequence({{ start }}, {{ stop }}))
{%- endmacro %}
