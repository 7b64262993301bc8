{#- Free text (city, gender, ...) with blocklisted placeholders as null. -#}
{% macro clean_text(column) -%}
    {{ return(adapter.dispatch('clean_text', 'c360')(column)) }}
{%- endmacro %}

{% macro default__clean_text(column) -%}
    list_transform(
        [struct_pack(
            raw := nullif({{ c360.trim_whitespace(column) }}, ''),
            junk := (select list(value) from {{ ref('junk_identifiers') }} where kind = 'any')
        )],
        lambda r: case when list_contains(r.junk, lower(r.raw)) then null else r.raw end
    )[1]
{%- endmacro %}

{% macro spark__clean_text(column) -%}
    transform(
        array(nullif({{ c360.trim_whitespace(column) }}, '')),
        raw -> case when array_contains({{ c360.spark_seed_array('junk_identifiers', 'value', "kind = 'any'") }}, lower(raw)) then null else raw end
    )[0]
{%- endmacro %}
