{#- Every column of `relation` (an alias) but `columns`: DuckDB's `* exclude (...)`, Spark's `* except (...)`. -#}
{% macro star_exclude(relation, columns) -%}
    {{ return(adapter.dispatch('star_exclude', 'c360')(relation, columns)) }}
{%- endmacro %}

{% macro default__star_exclude(relation, columns) -%}
    {{ relation ~ '.' if relation }}* exclude ({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__star_exclude(relation, columns) -%}
    {{ relation ~ '.' if relation }}* except ({{ columns | join(', ') }})
{%- endmacro %}
