{#- The UTC calendar date of an instant (timestamptz). Spark has no `at time zone`: its timestamp casts to the date
    in the session time zone, which the spark target sets to UTC (spark.sql.session.timeZone). -#}
{% macro utc_date(expr) -%}
    {{ return(adapter.dispatch('utc_date', 'c360')(expr)) }}
{%- endmacro %}

{% macro default__utc_date(expr) -%}
    ({{ expr }} at time zone 'UTC')::date
{%- endmacro %}

{% macro spark__utc_date(expr) -%}
    cast({{ expr }} as date)
{%- endmacro %}
