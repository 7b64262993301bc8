{#- True when a non-empty email was given but is unusable as an identifier (malformed or on the blocklist).
    Takes the raw and the already normalized column, so the normalization is not repeated. -#}
{% macro is_junk_email(raw_column, normalized_column) -%}
    (nullif({{ c360.trim_whitespace(raw_column) }}, '') is not null and {{ normalized_column }} is null)
{%- endmacro %}
