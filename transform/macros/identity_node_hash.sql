{#- One number for an identity node (source, source_record_id), for joining many rows to identity_map: a join on
    two strings builds a hash table of both strings per node, which at 1,000,000 customers (4.4 M nodes) passes
    DuckDB's memory limit and then spills the other side too (customer_interactions: 62 M touches, more than
    20 GB of spill). DuckDB's md5_number is 128 bits (16 bytes per node; that a touch meets another node's
    number has odds of about 1 in 10^24 at that size); NULL when either part is NULL, so such a row matches
    nothing, as with the strings. Spark joins large relations by sorting: it keeps the strings, as one md5 text. -#}
{% macro identity_node_hash(source, source_record_id) -%}
    {{ return(adapter.dispatch('identity_node_hash', 'c360')(source, source_record_id)) }}
{%- endmacro %}

{% macro default__identity_node_hash(source, source_record_id) -%}
    md5_number({{ source }} || chr(0) || {{ source_record_id }})
{%- endmacro %}

{% macro spark__identity_node_hash(source, source_record_id) -%}
    md5(concat({{ source }}, chr(0), {{ source_record_id }}))
{%- endmacro %}
