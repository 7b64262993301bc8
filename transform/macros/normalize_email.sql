{#-
  Email addresses compared as the mailbox they deliver to:
  - trimmed, lower-cased, a `mailto:` prefix and surrounding <> removed;
  - googlemail.com is gmail.com, and Gmail ignores dots in the local part;
  - a +tag (sub-address) is stripped for every domain: plus addressing means "same mailbox" at every large
    provider, and a literal '+' in a distinct mailbox's name is far rarer than people tagging sign-ups;
  - anything not shaped like local@domain.tld, or on the junk blocklist (seed junk_identifiers), is null.
-#}
{% macro email_cleaned(column) -%}
    nullif(regexp_replace(regexp_replace(lower(trim({{ column }})), '^mailto:', ''), '^<|>$', '', 'g'), '')
{%- endmacro %}

{% macro normalize_email(column) -%}
    {%- set cleaned = c360.email_cleaned(column) -%}
    {%- set domain -%}
        case split_part({{ cleaned }}, '@', 2) when 'googlemail.com' then 'gmail.com' else split_part({{ cleaned }}, '@', 2) end
    {%- endset -%}
    {%- set local_part -%}
        case
            when ({{ domain }}) = 'gmail.com' then replace(split_part(split_part({{ cleaned }}, '@', 1), '+', 1), '.', '')
            else split_part(split_part({{ cleaned }}, '@', 1), '+', 1)
        end
    {%- endset -%}
    case
        when not regexp_full_match({{ cleaned }}, '[^@\s]+@[^@\s]+\.[^@\s.]+') then null
        when ({{ local_part }}) = '' then null
        when ({{ local_part }}) in (select value from {{ ref('junk_identifiers') }} where kind in ('email_local', 'any')) then null
        when ({{ domain }}) in (select value from {{ ref('junk_identifiers') }} where kind = 'email_domain') then null
        else ({{ local_part }}) || '@' || ({{ domain }})
    end
{%- endmacro %}

{#- True when a non-empty email was given but is unusable as an identifier (malformed or on the blocklist). -#}
{% macro is_junk_email(column) -%}
    ({{ c360.email_cleaned(column) }} is not null and {{ c360.normalize_email(column) }} is null)
{%- endmacro %}
