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
    {{ return(adapter.dispatch('email_canonical', 'c360')(column)) }}
{%- endmacro %}

{% macro default__email_canonical(column) -%}
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

{#- Spark: transform/named_struct for list_transform/struct_pack (arrays 0-based), rlike anchored for
    regexp_full_match; regexp_replace is always global. -#}
{% macro spark__email_canonical(column) -%}
    transform(
        array(regexp_replace(regexp_replace(lower({{ c360.trim_whitespace(column) }}), '^mailto:', ''), '^<|>$', '')),
        cleaned -> case
            when not (cleaned rlike '^(?:[^@\s]+@[^@\s]+\.[^@\s.]+)$') then null
            else transform(
                array(named_struct(
                    'local_part', split_part(split_part(cleaned, '@', 1), '+', 1),
                    'domain', case split_part(cleaned, '@', 2) when 'googlemail.com' then 'gmail.com' else split_part(cleaned, '@', 2) end
                )),
                p -> case
                    when p.domain = 'gmail.com' then nullif(replace(p.local_part, '.', ''), '')
                    else nullif(p.local_part, '')
                end || '@' || p.domain
            )[0]
        end
    )[0]
{%- endmacro %}
