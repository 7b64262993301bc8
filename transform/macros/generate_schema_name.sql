{#- Schemas are exactly the configured name (marts, staging, intermediate, seeds), not <target>_<name>:
    the marts schema is a public interface. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
