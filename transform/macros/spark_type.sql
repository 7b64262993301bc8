{#- The Spark type of a column type as the source YAMLs declare it (DuckDB's names). A naive `timestamp` is
    Spark's timestamp_ntz; a `timestamp with time zone` (an instant) is Spark's `timestamp`. -#}
{% macro spark_type(data_type) -%}
    {%- set t = data_type | lower | trim -%}
    {%- set names = {
        'varchar': 'string', 'text': 'string', 'timestamptz': 'timestamp', 'timestamp with time zone': 'timestamp',
        'timestamp': 'timestamp_ntz', 'integer': 'int', 'json': 'string'} -%}
    {{- names.get(t, t) -}}
{%- endmacro %}
