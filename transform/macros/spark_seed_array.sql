{#- A seed's column as a Spark array literal, read when the model compiles (the seed is built before it):
    Spark allows no subquery inside a higher-order function (transform), where the normalizers look values up,
    so the DuckDB versions' `(select list(value) from seed)` becomes the list itself. ref() keeps the dependency.

      {{ c360.spark_seed_array('junk_identifiers', 'value', "kind = 'any'") }}   -> array('n/a', 'na', ...)
-#}
{% macro spark_seed_array(seed, column, where=none) -%}
    {%- set relation = ref(seed) -%}
    {%- if not execute -%}
        {{ return('array()') }}
    {%- endif -%}
    {%- set rows = run_query('select ' ~ column ~ ' from ' ~ relation ~ (' where ' ~ where if where else '') ~ ' order by 1') -%}
    {%- set items = [] -%}
    {%- for row in rows if row[0] is not none -%}
        {%- do items.append(c360.spark_string(row[0])) -%}
    {%- endfor -%}
    {{ return('cast(array(' ~ items | join(', ') ~ ') as array<string>)') }}
{%- endmacro %}
