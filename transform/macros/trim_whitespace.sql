{#- trim() only removes spaces; pasted values also carry tabs, newlines and no-break spaces. -#}
{% macro trim_whitespace(column) -%}
    {{ return(adapter.dispatch('trim_whitespace', 'c360')(column)) }}
{%- endmacro %}

{% macro default__trim_whitespace(column) -%}
    regexp_replace({{ column }}, '^[\s\x{00A0}\x{FEFF}]+|[\s\x{00A0}\x{FEFF}]+$', '', 'g')
{%- endmacro %}

{#- Spark's regexp_replace always replaces every match (no 'g' flag). -#}
{% macro spark__trim_whitespace(column) -%}
    regexp_replace({{ column }}, '^[\s\x{00A0}\x{FEFF}]+|[\s\x{00A0}\x{FEFF}]+$', '')
{%- endmacro %}
