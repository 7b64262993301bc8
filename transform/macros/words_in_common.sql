{#- How many space-separated words two texts share (list_intersect / array_intersect of the split words). -#}
{% macro words_in_common(a, b) -%}
    {{ return(adapter.dispatch('words_in_common', 'c360')(a, b)) }}
{%- endmacro %}

{% macro default__words_in_common(a, b) -%}
    len(list_intersect(string_split({{ a }}, ' '), string_split({{ b }}, ' ')))
{%- endmacro %}

{% macro spark__words_in_common(a, b) -%}
    size(array_intersect(split({{ a }}, ' '), split({{ b }}, ' ')))
{%- endmacro %}
