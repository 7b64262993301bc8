{#-
  A best guess of a person's country from what a support or web profile usually carries instead of an address:
  the region of a locale ("en-GB" -> GB), else the country of an IANA time zone ("Europe/Berlin" -> DE).
  Only used to read national phone numbers; null when neither says.
-#}
{% macro country_from_locale(locale_column, time_zone_column) -%}
    {%- set zones = {
        'Europe/London': 'GB', 'Europe/Dublin': 'IE', 'Europe/Berlin': 'DE', 'Europe/Paris': 'FR',
        'Europe/Amsterdam': 'NL', 'Europe/Brussels': 'BE', 'Europe/Luxembourg': 'LU', 'Europe/Vienna': 'AT',
        'Europe/Zurich': 'CH', 'Europe/Madrid': 'ES', 'Europe/Rome': 'IT', 'Europe/Lisbon': 'PT',
        'Europe/Copenhagen': 'DK', 'Europe/Stockholm': 'SE', 'Europe/Oslo': 'NO', 'Europe/Helsinki': 'FI',
        'Europe/Warsaw': 'PL', 'Australia/Sydney': 'AU', 'Australia/Melbourne': 'AU', 'Pacific/Auckland': 'NZ',
        'America/Toronto': 'CA', 'America/Vancouver': 'CA',
    } -%}
    coalesce(
        nullif(upper(regexp_extract({{ locale_column }}, '^[A-Za-z]{2,3}[-_]([A-Za-z]{2})$', 1)), ''),
        case {{ time_zone_column }}
            {%- for zone, country in zones.items() %}
            when '{{ zone }}' then '{{ country }}'
            {%- endfor %}
            else case when {{ c360.regexp_full_match(time_zone_column, 'America/(New_York|Chicago|Denver|Los_Angeles|Phoenix|Anchorage|Detroit|Boise|Indiana/.*|Kentucky/.*)') }} or {{ time_zone_column }} = 'Pacific/Honolulu' then 'US' end
        end
    )
{%- endmacro %}
