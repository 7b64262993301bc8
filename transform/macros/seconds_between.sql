{#- Seconds (fractional) from instant `start` to instant `end`: DuckDB's epoch(end - start); Spark has no epoch
    of an interval, so the difference of the two instants' microseconds since 1970. -#}
{% macro seconds_between(start, end) -%}
    {{ return(adapter.dispatch('seconds_between', 'c360')(start, end)) }}
{%- endmacro %}

{% macro default__seconds_between(start, end) -%}
    epoch({{ end }} - {{ start }})
{%- endmacro %}

{% macro spark__seconds_between(start, end) -%}
    (cast(unix_micros({{ end }}) - unix_micros({{ start }}) as double) / 1000000)
{%- endmacro %}
