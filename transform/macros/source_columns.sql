{#-
  Vendor payloads are schemaless: dlt only creates a column once some record carried the field (a SendGrid
  account that never saw a machine open has no sg_machine_open column). Staging selects optional fields through
  this macro, which yields a typed NULL when the raw table lacks the column, so a model never breaks on a field
  that simply has not appeared yet. Column names are compared case-insensitively.

  {%- set cols = c360.source_columns('email', 'events') %}
  {{ c360.optional_column(cols, 'sg_machine_open', 'boolean') }}
-#}
{#- Column names of any relation (lower case); [] when it does not exist yet. -#}
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

{#- Column names of a declared source table; use this in staging models (it also works in unit tests). -#}
{% macro source_columns(source_name, table_name) -%}
    {#- Looked up through the graph, not source(): in a unit test source() is the fixture, whose columns dbt copies
        from this same raw table, so introspecting the raw table gives the same answer in both cases. -#}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set names = [] -%}
    {%- set relations = [] -%}
    {%- if graph.sources is defined -%}
        {%- for node in graph.sources.values()
                if node.source_name == source_name and node.name == table_name and node.package_name == project_name -%}
            {%- do relations.append(adapter.get_relation(database=node.database, schema=node.schema, identifier=node.identifier)) -%}
        {%- endfor -%}
    {%- else -%}
        {#- a unit test's graph has no sources: fall back to the raw dataset naming of docs/contracts.md -#}
        {%- do relations.append(adapter.get_relation(database=target.database, schema='raw_' ~ source_name, identifier=table_name)) -%}
    {%- endif -%}
    {%- for relation in relations if relation is not none -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- do names.append(column.name | lower) -%}
        {%- endfor -%}
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
