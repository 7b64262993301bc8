{#- A JSON object text of `fields` (name -> SQL expression, in order), nulls written as null:
    {"street":"1 Main St","city":null,...}. Spark's to_json leaves null fields out unless told not to. -#}
{% macro json_object(fields) -%}
    {{ return(adapter.dispatch('json_object', 'c360')(fields)) }}
{%- endmacro %}

{% macro default__json_object(fields) -%}
    cast(to_json(struct_pack(
        {%- for name, expr in fields.items() %}
        {{ name }} := {{ expr }}{{ ',' if not loop.last }}
        {%- endfor %}
    )) as {{ dbt.type_string() }})
{%- endmacro %}

{% macro spark__json_object(fields) -%}
    to_json(named_struct(
        {%- for name, expr in fields.items() %}
        '{{ name }}', {{ expr }}{{ ',' if not loop.last }}
        {%- endfor %}
    ), map('ignoreNullFields', 'false'))
{%- endmacro %}
