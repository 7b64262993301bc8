{#- The type of an instant (a *_at column): DuckDB's timestamptz; Spark's `timestamp` is already an instant
    (shown in the session time zone), its naive timestamp is timestamp_ntz.

      cast(created_at as {{ c360.type_timestamptz() }}) as created_at
-#}
{% macro type_timestamptz() -%}
    {{ return(adapter.dispatch('type_timestamptz', 'c360')()) }}
{%- endmacro %}

{% macro default__type_timestamptz() -%}
    {{ return('timestamptz') }}
{%- endmacro %}

{% macro spark__type_timestamptz() -%}
    {{ return('timestamp') }}
{%- endmacro %}
