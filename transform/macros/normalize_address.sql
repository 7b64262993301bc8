{#-
  Street lines compared in one spelling: lower case, accents folded (ß -> ss), punctuation dropped, and every word
  on the seed address_abbreviations replaced by its abbreviation (street -> st, avenue -> ave, straße -> st).
  German and Dutch compounds ("Hauptstraße", "Kalverstraat") get their suffix abbreviated too ("haupt st").
-#}
{% macro normalize_street(column) -%}
    {%- set folded -%}
        trim(regexp_replace(
            regexp_replace(replace(strip_accents(lower(trim({{ column }}))), 'ß', 'ss'), '[^a-z0-9]+', ' ', 'g'),
            '([a-z]{3,})(strasse|straat|str)\b', '\1 \2', 'g'))
    {%- endset -%}
    case
        when lower(trim({{ column }})) in (select value from {{ ref('junk_identifiers') }} where kind = 'any') then null
        else nullif((
            select array_to_string(list_transform(string_split({{ folded }}, ' '), lambda t: coalesce(abbreviations[t], t)), ' ')
            from (select map(list(token), list(abbreviation)) as abbreviations from {{ ref('address_abbreviations') }})
        ), '')
    end
{%- endmacro %}

{#- Postal codes without spaces or dashes, upper case; US ZIP+4 keeps the 5-digit ZIP. -#}
{% macro normalize_postal_code(column) -%}
    case
        when lower(trim({{ column }})) in (select value from {{ ref('junk_identifiers') }} where kind = 'any') then null
        when regexp_full_match(trim({{ column }}), '\d{5}-\d{4}') then left(trim({{ column }}), 5)
        else nullif(upper(regexp_replace({{ column }}, '[^0-9A-Za-z]', '', 'g')), '')
    end
{%- endmacro %}

{#- Free text (city, gender, ...) with blocklisted placeholders as null. -#}
{% macro clean_text(column) -%}
    case
        when lower(trim({{ column }})) in (select value from {{ ref('junk_identifiers') }} where kind = 'any') then null
        else nullif(trim({{ column }}), '')
    end
{%- endmacro %}
