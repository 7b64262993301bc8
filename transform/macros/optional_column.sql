{#-
  Vendor payloads are schemaless: dlt only creates a column once some record carried the field (a SendGrid
  account that never saw a machine open has no sg_machine_open column). Staging selects optional fields through
  this macro, which yields a typed NULL when the raw table lacks the column, so a model never breaks on a field
  that simply has not appeared yet. Column names are compared case-insensitively.

  {%- set cols = c360.source_columns('email', 'events') %}
  {{ c360.optional_column(cols, 'sg_machine_open', 'boolean') }}
-#}
{% macro optional_column(available, name, data_type, alias=none) -%}
    {%- set candidates = name if name is not string else [name] -%}
    {{ c360.optional_value(available, name, data_type) }} as {{ alias or (candidates[0] | lower) }}
{%- endmacro %}
