{#- The number of `part` boundaries (day or month) crossed from `start` to `end` (dates), DuckDB's date_diff:
    date_diff('month', 2024-01-31, 2024-02-01) = 1. Spark's datediff takes (end, start) and counts days only;
    months are counted from the year and month. -#}
{% macro date_diff(part, start, end) -%}
    {{ return(adapter.dispatch('date_diff', 'c360')(part, start, end)) }}
{%- endmacro %}

{% macro default__date_diff(part, start, end) -%}
    date_diff('{{ part }}', {{ start }}, {{ end }})
{%- endmacro %}

{% macro spark__date_diff(part, start, end) -%}
    {%- if part == 'day' -%}
        datediff({{ end }}, {{ start }})
    {%- elif part == 'month' -%}
        ((year({{ end }}) * 12 + month({{ end }})) - (year({{ start }}) * 12 + month({{ start }})))
    {%- else -%}
        {{ exceptions.raise_compiler_error("c360.date_diff: part must be 'day' or 'month', not " ~ part) }}
    {%- endif -%}
{%- endmacro %}
