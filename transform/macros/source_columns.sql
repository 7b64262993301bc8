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
