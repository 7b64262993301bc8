{% macro normalize_email(column) -%}
    {{ return(adapter.dispatch('normalize_email', 'c360')(column)) }}
{%- endmacro %}

{% macro default__normalize_email(column) -%}
    list_transform(
        [struct_pack(
            email := {{ c360.email_canonical(column) }},
            junk_local_parts := (select list(value) from {{ ref('junk_identifiers') }} where kind in ('email_local', 'any')),
            junk_domains := (select list(value) from {{ ref('junk_identifiers') }} where kind = 'email_domain')
        )],
        lambda r: case
            when list_contains(r.junk_local_parts, split_part(r.email, '@', 1)) then null
            when list_contains(r.junk_domains, split_part(r.email, '@', 2)) then null
            else r.email
        end
    )[1]
{%- endmacro %}

{% macro spark__normalize_email(column) -%}
    transform(
        array({{ c360.email_canonical(column) }}),
        email -> case
            when array_contains({{ c360.spark_seed_array('junk_identifiers', 'value', "kind in ('email_local', 'any')") }}, split_part(email, '@', 1)) then null
            when array_contains({{ c360.spark_seed_array('junk_identifiers', 'value', "kind = 'email_domain'") }}, split_part(email, '@', 2)) then null
            else email
        end
    )[0]
{%- endmacro %}
