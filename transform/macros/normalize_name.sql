{#-
  Person names compared without case, accents or punctuation: "José-María O'Neill" -> "jose maria oneill".
  ß folds to ss (strip_accents keeps it). Blocklisted placeholders ("n/a", "unknown", "test") are null.
  One-element list_transform lambdas bind intermediate values so each is computed and planned once.
-#}
{% macro normalize_name(column) -%}
    list_transform(
        [struct_pack(
            raw := lower({{ c360.trim_whitespace(column) }}),
            junk := (select list(value) from {{ ref('junk_identifiers') }} where kind = 'any')
        )],
        lambda r: list_transform(
            [trim(regexp_replace(regexp_replace(replace(replace(strip_accents(r.raw), 'ß', 'ss'), '''', ''), '[^a-z]+', ' ', 'g'), '\s+', ' ', 'g'))],
            lambda folded: case
                when list_contains(r.junk, r.raw) or list_contains(r.junk, folded) then null
                else nullif(folded, '')
            end
        )[1]
    )[1]
{%- endmacro %}
