{#- A seed's key -> value columns as a Spark map literal, read when the model compiles (see spark_seed_array:
    the map is looked up inside transform(), where Spark allows no subquery). -#}
{% macro spark_seed_map(seed, key_column, value_column) -%}
    {%- set relation = ref(seed) -%}
    {%- if not execute -%}
        {{ return('map()') }}
    {%- endif -%}
    {%- set rows = run_query('select ' ~ key_column ~ ', ' ~ value_column ~ ' from ' ~ relation ~ ' order by 1') -%}
    {%- set items = [] -%}
    {%- for row in rows if row[0] is not none -%}
        {%- do items.append(c360.spark_string(row[0]) ~ ', ' ~ c360.spark_string(row[1])) -%}
    {%- endfor -%}
    {{ return('cast(map(' ~ items | join(', ') ~ ') as map<string, string>)') }}
{%- endmacro %}
