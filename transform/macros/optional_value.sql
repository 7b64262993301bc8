{#- The expression for the first of `name` (a name or a list of alternatives) the relation has, else typed NULL. -#}
{% macro optional_value(available, name, data_type) -%}
    {%- set candidates = name if name is not string else [name] -%}
    {%- set present = [] -%}
    {%- for candidate in candidates if candidate | lower in available -%}
        {%- do present.append(adapter.quote(candidate | lower) ~ '::' ~ c360.engine_type(data_type)) -%}
    {%- endfor -%}
    {%- if present | length == 0 -%}
        null::{{ c360.engine_type(data_type) }}
    {%- elif present | length == 1 -%}
        {{ present[0] }}
    {%- else -%}
        coalesce({{ present | join(', ') }})
    {%- endif -%}
{%- endmacro %}
