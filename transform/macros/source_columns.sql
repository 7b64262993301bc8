{#-
  Vendor payloads are schemaless: dlt only creates a column once some record carried the field (a SendGrid
  account that never saw a machine open has no sg_machine_open column). Staging selects optional fields through
  this macro, which yields a typed NULL when the raw table lacks the column, so a model never breaks on a field
  that simply has not appeared yet. Column names are compared case-insensitively.

  {%- set cols = c360.relation_columns(source('email', 'events')) %}
  {{ c360.optional_column(cols, 'sg_machine_open', 'boolean') }}
-#}
{% macro relation_columns(relation) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set names = [] -%}
    {%- for column in adapter.get_columns_in_relation(relation) -%}
        {%- do names.append(column.name | lower) -%}
    {%- endfor -%}
    {{ return(names) }}
{%- endmacro %}

{#- The expression for the first of `name` (a name or a list of alternatives) the relation has, else typed NULL. -#}
{% macro optional_value(available, name, data_type) -%}
    {%- set candidates = name if name is not string else [name] -%}
    {%- set present = [] -%}
    {%- for candidate in candidates if candidate | lower in available -%}
        {%- do present.append(adapter.quote(candidate | lower) ~ '::' ~ data_type) -%}
    {%- endfor -%}
    {%- if present | length == 0 -%}
        null::{{ data_type }}
    {%- elif present | length == 1 -%}
        {{ present[0] }}
    {%- else -%}
        coalesce({{ present | join(', ') }})
    {%- endif -%}
{%- endmacro %}

{% macro optional_column(available, name, data_type, alias=none) -%}
    {%- set candidates = name if name is not string else [name] -%}
    {{ c360.optional_value(available, name, data_type) }} as {{ alias or (candidates[0] | lower) }}
{%- endmacro %}
