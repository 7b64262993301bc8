{#-
  Email addresses compared as the mailbox they deliver to:
  - trimmed, lower-cased, a `mailto:` prefix and surrounding <> removed;
  - googlemail.com is gmail.com, and Gmail ignores dots in the local part;
  - a +tag (sub-address) is stripped for every domain: plus addressing means "same mailbox" at every large
    provider, and a literal '+' in a distinct mailbox's name is far rarer than people tagging sign-ups;
  - anything not shaped like local@domain.tld, or on the junk blocklist (seed junk_identifiers: kinds
    email_local, email_domain and any), is null.
  The parsing runs inside one-element list_transform lambdas so every intermediate value is computed (and
  planned) once; the blocklist lookups stay outside (DuckDB allows no subquery inside a lambda).
-#}
{% macro email_canonical(column) -%}
    list_transform(
        [regexp_replace(regexp_replace(lower({{ c360.trim_whitespace(column) }}), '^mailto:', ''), '^<|>$', '', 'g')],
        lambda cleaned: case
            when not regexp_full_match(cleaned, '[^@\s]+@[^@\s]+\.[^@\s.]+') then null
            else list_transform(
                [struct_pack(
                    local_part := split_part(split_part(cleaned, '@', 1), '+', 1),
                    domain := case split_part(cleaned, '@', 2) when 'googlemail.com' then 'gmail.com' else split_part(cleaned, '@', 2) end
                )],
                lambda p: case
                    when p.domain = 'gmail.com' then nullif(replace(p.local_part, '.', ''), '')
                    else nullif(p.local_part, '')
                end || '@' || p.domain
            )[1]
        end
    )[1]
{%- endmacro %}

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

{#- True when a non-empty email was given but is unusable as an identifier (malformed or on the blocklist).
    Takes the raw and the already normalized column, so the normalization is not repeated. -#}
{% macro is_junk_email(raw_column, normalized_column) -%}
    (nullif({{ c360.trim_whitespace(raw_column) }}, '') is not null and {{ normalized_column }} is null)
{%- endmacro %}
