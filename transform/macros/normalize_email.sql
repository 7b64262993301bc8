{% macro normalize_email(column) -%}
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
