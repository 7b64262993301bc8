{#- Free text (city, gender, ...) with blocklisted placeholders as null. -#}
{% macro clean_text(column) -%}
    list_transform(
        [struct_pack(
            raw := nullif({{ c360.trim_whitespace(column) }}, ''),
            junk := (select list(value) from {{ ref('junk_identifiers') }} where kind = 'any')
        )],
        lambda r: case when list_contains(r.junk, lower(r.raw)) then null else r.raw end
    )[1]
{%- endmacro %}
