{#- dbt's accepted_values test on Spark. The YAMLs write a quote inside a value the standard SQL way ("Can''t lose"),
    which dbt pastes between single quotes; the spark target reads literals as written (escapedStringLiterals), so
    each value becomes a literal of its own here, double-quoted when it holds a quote ('' read as one quote; no
    macro call: generic tests may be rendered where the project's macros are not in scope). -#}
{% macro spark__test_accepted_values(model, column_name, values, quote=True) %}

with all_values as (

    select
        {{ column_name }} as value_field,
        count(*) as n_records

    from {{ model }}
    group by {{ column_name }}

)

select *
from all_values
where value_field not in (
    {% for value in values -%}
        {%- set text = value | string | replace("''", "'") -%}
        {{ (('"' ~ text ~ '"') if "'" in text else ("'" ~ text ~ "'")) if quote else value }}{{ ',' if not loop.last }}
    {%- endfor %}
)

{% endmacro %}
