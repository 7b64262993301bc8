{#- A fingerprint of the multiset of a string expression's values over a group, whatever their order: the sum of
    each value's md5 (its first 64 bits as an unsigned number) and the count, as text; the same text on both
    engines. Not a sorted string_agg: DuckDB cannot spill a string or list aggregate's state, and joining every
    link of every node ran int_identity_components out of its 1 GB at 1,000,000 customers; a sum spills. -#}
{% macro unordered_hash_agg(expression) -%}
    {{ return(adapter.dispatch('unordered_hash_agg', 'c360')(expression)) }}
{%- endmacro %}

{% macro default__unordered_hash_agg(expression) -%}
    cast(sum(cast('0x' || left(md5({{ expression }}), 16) as ubigint)) as {{ dbt.type_string() }})
        || ':' || cast(count({{ expression }}) as {{ dbt.type_string() }})
{%- endmacro %}

{% macro spark__unordered_hash_agg(expression) -%}
    cast(sum(cast(conv(substr(md5({{ expression }}), 1, 16), 16, 10) as decimal(20, 0))) as string)
        || ':' || cast(count({{ expression }}) as string)
{%- endmacro %}
