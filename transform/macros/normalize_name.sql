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

{#- The canonical form of a given name (bob, bobby, rob -> robert) from seed nickname_map; expects a normalized
    name. Only the first word is mapped: "bob lee" -> "robert lee". -#}
{% macro canonical_first_name(normalized_column) -%}
    list_transform(
        [struct_pack(
            name := {{ normalized_column }},
            nicknames := (select map(list(nickname), list(canonical_name)) from {{ ref('nickname_map') }})
        )],
        lambda r: case
            when r.name is null then null
            else array_to_string(
                list_transform(
                    string_split(r.name, ' '),
                    lambda word, i: case when i = 1 then coalesce(r.nicknames[word], word) else word end
                ),
                ' '
            )
        end
    )[1]
{%- endmacro %}
