{#-
  Street lines compared in one spelling: lower case, accents folded (ß -> ss), punctuation dropped, and every word
  on the seed address_abbreviations replaced by its abbreviation (street -> st, avenue -> ave, straße -> st).
  German and Dutch compounds ("Hauptstraße", "Kalverstraat") get their suffix split off and abbreviated too
  ("haupt st").
-#}
{% macro normalize_street(column) -%}
    {{ return(adapter.dispatch('normalize_street', 'c360')(column)) }}
{%- endmacro %}

{% macro default__normalize_street(column) -%}
    list_transform(
        [struct_pack(
            raw := lower({{ c360.trim_whitespace(column) }}),
            junk := (select list(value) from {{ ref('junk_identifiers') }} where kind = 'any'),
            abbreviations := (select map(list(token), list(abbreviation)) from {{ ref('address_abbreviations') }})
        )],
        lambda r: case
            when r.raw is null or list_contains(r.junk, r.raw) then null
            else nullif(array_to_string(
                list_transform(
                    string_split(trim(regexp_replace(
                        regexp_replace(replace(strip_accents(r.raw), 'ß', 'ss'), '[^a-z0-9]+', ' ', 'g'),
                        '([a-z]{3,})(strasse|straat|str)\b', '\1 \2', 'g')), ' '),
                    lambda word: coalesce(r.abbreviations[word], word)
                ),
                ' '
            ), '')
        end
    )[1]
{%- endmacro %}

{#- Spark: Java's regex writes the back-reference $1 where RE2 writes \1. -#}
{% macro spark__normalize_street(column) -%}
    transform(
        array(lower({{ c360.trim_whitespace(column) }})),
        raw -> case
            when raw is null or array_contains({{ c360.spark_seed_array('junk_identifiers', 'value', "kind = 'any'") }}, raw) then null
            else nullif(array_join(
                transform(
                    split(trim(regexp_replace(
                        regexp_replace(replace({{ c360.spark_strip_accents('raw') }}, 'ß', 'ss'), '[^a-z0-9]+', ' '),
                        '([a-z]{3,})(strasse|straat|str)\b', '$1 $2')), ' '),
                    word -> coalesce(element_at({{ c360.spark_seed_map('address_abbreviations', 'token', 'abbreviation') }}, word), word)
                ),
                ' '
            ), '')
        end
    )[0]
{%- endmacro %}
