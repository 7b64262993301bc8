{#-
  A source table as staging can always read it, with every column its source YAML declares:

  * the raw table when it exists and has every declared column (the usual case);
  * the raw table plus a typed NULL for each declared column it lacks (a vendor field that never carried a value
    before the column hints existed, or a table loaded by an older version);
  * an empty relation of the declared columns when the raw table does not exist at all: a switched-off source
    (SOURCES__<NAME>__ENABLED=false) never runs dlt, and a nested table (tickets__tags) only appears once some row
    had a value for it.

  The declarations are the `columns:` with `data_type` of `_<source>__sources.yml` (the one declaration of each
  vendor schema; ingestion/vendor_schema.py gives dlt the same columns as hints). dlt's loader columns are added
  to the empty relation: _dlt_load_id and _dlt_id on every table, _dlt_parent_id and _dlt_list_idx on nested ones.

      select * from {{ c360.source_relation('support', 'users') }}

  In a unit test source() is the test's fixture and is returned as it is.
-#}
{% macro source_relation(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- if not execute or '__dbt__cte__' in (relation | string) -%}
        {{ return(relation) }}
    {%- endif -%}
    {%- set declared = {} -%}
    {%- for node in graph.sources.values()
            if node.source_name == source_name and node.name == table_name and node.package_name == project_name -%}
        {%- for column in node.columns.values() if column.data_type -%}
            {%- do declared.update({column.name | lower: column.data_type}) -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set existing = adapter.get_relation(database=relation.database, schema=relation.schema, identifier=relation.identifier) -%}
    {%- if existing is none -%}
        {%- set loader = {'_dlt_load_id': 'varchar', '_dlt_id': 'varchar'} -%}
        {%- if '__' in table_name -%}
            {%- do loader.update({'_dlt_parent_id': 'varchar', '_dlt_list_idx': 'bigint'}) -%}
        {%- endif -%}
        {%- set columns = [] -%}
        {%- for name, data_type in declared.items() if name not in loader -%}
            {%- do columns.append('null::' ~ c360.engine_type(data_type) ~ ' as ' ~ adapter.quote(name)) -%}
        {%- endfor -%}
        {%- for name, data_type in loader.items() -%}
            {%- do columns.append('null::' ~ c360.engine_type(data_type) ~ ' as ' ~ adapter.quote(name)) -%}
        {%- endfor -%}
        {{ return('(select ' ~ columns | join(', ') ~ ' where false)') }}
    {%- endif -%}
    {%- set present = [] -%}
    {%- for column in adapter.get_columns_in_relation(existing) -%}
        {%- do present.append(column.name | lower) -%}
    {%- endfor -%}
    {%- set missing = [] -%}
    {%- for name, data_type in declared.items() if name not in present -%}
        {%- do missing.append('null::' ~ c360.engine_type(data_type) ~ ' as ' ~ adapter.quote(name)) -%}
    {%- endfor -%}
    {%- if missing | length == 0 -%}
        {{ return(relation) }}
    {%- endif -%}
    {{ return('(select *, ' ~ missing | join(', ') ~ ' from ' ~ relation ~ ')') }}
{%- endmacro %}
