{#- trim() only removes spaces; pasted values also carry tabs, newlines and no-break spaces. -#}
{% macro trim_whitespace(column) -%}
    regexp_replace({{ column }}, '^[\s\x{00A0}\x{FEFF}]+|[\s\x{00A0}\x{FEFF}]+$', '', 'g')
{%- endmacro %}
