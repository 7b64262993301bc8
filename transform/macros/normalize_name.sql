{#-
  Person names compared without case, accents or punctuation: "José-María O'Neill" -> "jose maria oneill".
  ß folds to ss (strip_accents keeps it). Blocklisted placeholders ("n/a", "unknown", "test") are null.
  One-element list_transform lambdas bind intermediate values so each is computed and planned once.
-#}
{% macro normalize_name(column) -%}
    {{ return(adapter.dispatch('normalize_name', 'c360')(column)) }}
{%- endmacro %}

{% macro default__normalize_name(column) -%}
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

{#- Spark: strip_accents by a translate table (spark_strip_accents), the apostrophe as a double-quoted literal
    (the spark target reads '' literally). -#}
{% macro spark__normalize_name(column) -%}
    transform(
        array(lower({{ c360.trim_whitespace(column) }})),
        raw -> transform(
            array(trim(regexp_replace(regexp_replace(replace(replace({{ c360.spark_strip_accents('raw') }}, 'ß', 'ss'), "'", ''), '[^a-z]+', ' '), '\s+', ' '))),
            folded -> case
                when array_contains({{ c360.spark_seed_array('junk_identifiers', 'value', "kind = 'any'") }}, raw)
                  or array_contains({{ c360.spark_seed_array('junk_identifiers', 'value', "kind = 'any'") }}, folded) then null
                else nullif(folded, '')
            end
        )[0]
    )[0]
{%- endmacro %}
