{#- True when two texts are more than one edit apart, an edit being an insertion, deletion, substitution or the swap
    of two adjacent characters: DuckDB's damerau_levenshtein(a, b) > 1. Spark has no Damerau-Levenshtein: a
    Levenshtein distance above 1 that is not exactly one swap of adjacent characters (same prefix and suffix around
    two swapped characters) - the same answer. -#}
{% macro more_than_one_edit_apart(a, b) -%}
    {{ return(adapter.dispatch('more_than_one_edit_apart', 'c360')(a, b)) }}
{%- endmacro %}

{% macro default__more_than_one_edit_apart(a, b) -%}
    damerau_levenshtein({{ a }}, {{ b }}) > 1
{%- endmacro %}

{% macro spark__more_than_one_edit_apart(a, b) -%}
    transform(
        array(named_struct('x', {{ a }}, 'y', {{ b }})),
        d -> levenshtein(d.x, d.y) > 1
             and not (length(d.x) = length(d.y) and length(d.x) > 1 and exists(sequence(1, length(d.x) - 1), i ->
                 substr(d.x, i, 2) = reverse(substr(d.y, i, 2)) and left(d.x, i - 1) = left(d.y, i - 1)
                 and substr(d.x, i + 2) = substr(d.y, i + 2)))
    )[0]
{%- endmacro %}
