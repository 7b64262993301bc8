{#- Postal codes without spaces or dashes, upper case; US ZIP+4 keeps the 5-digit ZIP. -#}
{% macro normalize_postal_code(column) -%}
    {{ return(adapter.dispatch('normalize_postal_code', 'c360')(column)) }}
{%- endmacro %}

{% macro default__normalize_postal_code(column) -%}
    list_transform(
        [struct_pack(
            raw := {{ c360.trim_whitespace(column) }},
            junk := (select list(value) from {{ ref('junk_identifiers') }} where kind = 'any')
        )],
        lambda r: case
            when r.raw is null or list_contains(r.junk, lower(r.raw)) then null
            when regexp_full_match(r.raw, '\d{5}-\d{4}') then left(r.raw, 5)
            else nullif(upper(regexp_replace(r.raw, '[^0-9A-Za-z]', '', 'g')), '')
        end
    )[1]
{%- endmacro %}

{% macro spark__normalize_postal_code(column) -%}
    transform(
        array({{ c360.trim_whitespace(column) }}),
        raw -> case
            when raw is null or array_contains({{ c360.spark_seed_array('junk_identifiers', 'value', "kind = 'any'") }}, lower(raw)) then null
            when raw rlike '^(?:\d{5}-\d{4})$' then left(raw, 5)
            else nullif(upper(regexp_replace(raw, '[^0-9A-Za-z]', '')), '')
        end
    )[0]
{%- endmacro %}
