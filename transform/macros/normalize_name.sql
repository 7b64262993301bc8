{#-
  Person names compared without case, accents or punctuation: "José-María O'Neill" -> "jose maria oneill".
  ß folds to ss (strip_accents keeps it). Blocklisted placeholders ("n/a", "unknown", "test") are null.
-#}
{% macro normalize_name(column) -%}
    {%- set folded -%}
        trim(regexp_replace(
            regexp_replace(
                replace(replace(strip_accents(lower(trim({{ column }}))), 'ß', 'ss'), '''', ''),
                '[^a-z]+', ' ', 'g'),
            '\s+', ' ', 'g'))
    {%- endset -%}
    case
        when lower(trim({{ column }})) in (select value from {{ ref('junk_identifiers') }} where kind = 'any') then null
        when {{ folded }} in (select value from {{ ref('junk_identifiers') }} where kind = 'any') then null
        else nullif({{ folded }}, '')
    end
{%- endmacro %}

{#- The canonical form of a given name (bob, bobby, rob -> robert) from seed nickname_map; expects a normalized name.
    Only the first word is mapped: "bob lee" -> "robert lee". -#}
{% macro canonical_first_name(normalized_column) -%}
    case
        when {{ normalized_column }} is null then null
        else coalesce(
            map_extract_value(
                (select map(list(nickname), list(canonical_name)) from {{ ref('nickname_map') }}),
                split_part({{ normalized_column }}, ' ', 1)
            ),
            split_part({{ normalized_column }}, ' ', 1)
        ) || coalesce(nullif(' ' || substr({{ normalized_column }}, length(split_part({{ normalized_column }}, ' ', 1)) + 2), ' '), '')
    end
{%- endmacro %}
