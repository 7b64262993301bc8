{#- The values of a string expression over a group, sorted and joined with ',': the same text on both engines
    (so an md5 of it is too). -#}
{% macro sorted_string_agg(expression) -%}
    {{ return(adapter.dispatch('sorted_string_agg', 'c360')(expression)) }}
{%- endmacro %}

{% macro default__sorted_string_agg(expression) -%}
    string_agg({{ expression }}, ',' order by {{ expression }})
{%- endmacro %}

{% macro spark__sorted_string_agg(expression) -%}
    array_join(array_sort(collect_list({{ expression }})), ',')
{%- endmacro %}
