{#- A Spark string literal of a value. The spark target reads literals as written (escapedStringLiterals, so a
    regex's backslash stays one), where '' is no escaped quote: a value with a quote is double-quoted instead. -#}
{% macro spark_string(value) -%}
    {%- set text = value | string -%}
    {%- if "'" not in text -%}
        {{ return("'" ~ text ~ "'") }}
    {%- elif '"' not in text -%}
        {{ return('"' ~ text ~ '"') }}
    {%- else -%}
        {{ exceptions.raise_compiler_error("a seed value holds both quote characters, which Spark SQL cannot write as one literal: " ~ text) }}
    {%- endif -%}
{%- endmacro %}
