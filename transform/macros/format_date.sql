{#- A date or timestamp as text in a strftime format (%Y, %m, %d only): DuckDB's strftime; Spark's date_format
    spells the same format yyyy, MM, dd. -#}
{% macro format_date(expr, format) -%}
    {{ return(adapter.dispatch('format_date', 'c360')(expr, format)) }}
{%- endmacro %}

{% macro default__format_date(expr, format) -%}
    strftime({{ expr }}, '{{ format }}')
{%- endmacro %}

{% macro spark__format_date(expr, format) -%}
    {%- set pattern = format.replace('%Y', 'yyyy').replace('%m', 'MM').replace('%d', 'dd') -%}
    {%- if '%' in pattern -%}
        {{ exceptions.raise_compiler_error("c360.format_date: only %Y, %m and %d are mapped to Spark, not in " ~ format) }}
    {%- endif -%}
    date_format({{ expr }}, '{{ pattern }}')
{%- endmacro %}
