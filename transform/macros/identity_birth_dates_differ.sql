{#- Two birth dates clearly differ: both present, not equal, not day and month transposed, and more than one digit
    apart (YYYYMMDD), so no ordinary typo explains the difference. Part of identity_records_contradict. -#}
{% macro identity_birth_dates_differ(a, b) -%}
(
    {{ a }}.birth_date is not null and {{ b }}.birth_date is not null
    and {{ a }}.birth_date <> {{ b }}.birth_date
    and not (year({{ a }}.birth_date) = year({{ b }}.birth_date)
             and month({{ a }}.birth_date) = day({{ b }}.birth_date)
             and day({{ a }}.birth_date) = month({{ b }}.birth_date))
    and {{ c360.more_than_one_edit_apart(c360.format_date(a ~ '.birth_date', '%Y%m%d'), c360.format_date(b ~ '.birth_date', '%Y%m%d')) }}
)
{%- endmacro %}
