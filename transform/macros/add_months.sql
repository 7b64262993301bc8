{#- The date `n` calendar months after date `start` (month ends clamp: Jan 31 + 1 month = Feb 29/28). -#}
{% macro add_months(start, n) -%}
    {{ return(adapter.dispatch('add_months', 'c360')(start, n)) }}
{%- endmacro %}

{% macro default__add_months(start, n) -%}
    ({{ start }} + to_months({{ n }}))::date
{%- endmacro %}

{% macro spark__add_months(start, n) -%}
    add_months({{ start }}, {{ n }})
{%- endmacro %}
