{#- The text of a top-level `key` of a JSON object text (null when absent or null). -#}
{% macro json_extract_string(expr, key) -%}
    {{ return(adapter.dispatch('json_extract_string', 'c360')(expr, key)) }}
{%- endmacro %}

{% macro default__json_extract_string(expr, key) -%}
    json_extract_string({{ expr }}, '$.{{ key }}')
{%- endmacro %}

{% macro spark__json_extract_string(expr, key) -%}
    get_json_object({{ expr }}, '$.{{ key }}')
{%- endmacro %}
