{#- Two birth dates clearly differ: both present, not equal, not day and month transposed, and more than one digit
    apart (YYYYMMDD), so no ordinary typo explains the difference. Part of identity_records_contradict. -#}
{% macro identity_birth_dates_differ(a, b) -%}
    {{ return(adapter.dispatch('identity_birth_dates_differ', 'c360')(a, b)) }}
{%- endmacro %}

{% macro default__identity_birth_dates_differ(a, b) -%}
(
    {{ a }}.birth_date is not null and {{ b }}.birth_date is not null
    and {{ a }}.birth_date <> {{ b }}.birth_date
    and not (year({{ a }}.birth_date) = year({{ b }}.birth_date)
             and month({{ a }}.birth_date) = day({{ b }}.birth_date)
             and day({{ a }}.birth_date) = month({{ b }}.birth_date))
    and damerau_levenshtein(strftime({{ a }}.birth_date, '%Y%m%d'), strftime({{ b }}.birth_date, '%Y%m%d')) > 1
)
{%- endmacro %}

{#- Spark has no damerau_levenshtein: for two 8-digit strings "more than one edit apart" is a Levenshtein distance
    above 1 (one substitution) that is not one swap of two adjacent digits (the transposition Damerau adds). -#}
{% macro spark__identity_birth_dates_differ(a, b) -%}
(
    {{ a }}.birth_date is not null and {{ b }}.birth_date is not null
    and {{ a }}.birth_date <> {{ b }}.birth_date
    and not (year({{ a }}.birth_date) = year({{ b }}.birth_date)
             and month({{ a }}.birth_date) = day({{ b }}.birth_date)
             and day({{ a }}.birth_date) = month({{ b }}.birth_date))
    and transform(
        array(named_struct('x', date_format({{ a }}.birth_date, 'yyyyMMdd'), 'y', date_format({{ b }}.birth_date, 'yyyyMMdd'))),
        d -> levenshtein(d.x, d.y) > 1
             and not exists(sequence(1, length(d.x) - 1), i ->
                 substr(d.x, i, 2) = reverse(substr(d.y, i, 2)) and left(d.x, i - 1) = left(d.y, i - 1)
                 and substr(d.x, i + 2) = substr(d.y, i + 2))
    )[0]
)
{%- endmacro %}
