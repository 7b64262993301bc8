{#-
  Phone numbers as E.164 (+<country code><national significant number>):
  - an extension (x12, ext. 12) is dropped, and so is the "(0)" trunk written inside international numbers
    (+44 (0)20 ...);
  - a leading + or 00 (011 from North America) means the number is already international;
  - otherwise the number is national: the trunk prefix (0 in GB/DE/FR/NL/..., 1 in NANP) is removed and the
    country code of the record's country is prepended, or of var('default_phone_country') when the record has none;
  - fewer than 7 or more than 15 digits, one digit repeated, or a blocklisted national number: null.
-#}
{% macro phone_country_codes() -%}
    {{ return({
        'US': ('1', '1'), 'CA': ('1', '1'),
        'GB': ('44', '0'), 'UK': ('44', '0'), 'IE': ('353', '0'),
        'DE': ('49', '0'), 'AT': ('43', '0'), 'CH': ('41', '0'),
        'FR': ('33', '0'), 'BE': ('32', '0'), 'NL': ('31', '0'), 'LU': ('352', ''),
        'ES': ('34', ''), 'IT': ('39', ''), 'PT': ('351', ''), 'DK': ('45', ''),
        'SE': ('46', '0'), 'NO': ('47', ''), 'FI': ('358', '0'), 'PL': ('48', ''),
        'AU': ('61', '0'), 'NZ': ('64', '0'),
    }) }}
{%- endmacro %}

{% macro normalize_phone(column, country_column=none) -%}
    {%- set codes = c360.phone_country_codes() -%}
    {%- set default_country = var('default_phone_country') | upper -%}
    {%- if default_country not in codes -%}
        {{ exceptions.raise_compiler_error("var default_phone_country=" ~ default_country ~ " is not one of " ~ (codes.keys() | list | sort | join(', '))) }}
    {%- endif -%}
    {%- set country -%}
        coalesce(upper(nullif(trim({{ country_column if country_column else 'null' }}), '')), '{{ default_country }}')
    {%- endset -%}
    {%- set stripped -%}
        regexp_replace(regexp_replace(trim({{ column }}), '\s*(?i:x|ext\.?|extension)\s*\d+\s*$', ''), '\(\s*0\s*\)', '', 'g')
    {%- endset -%}
    {%- set digits -%}
        regexp_replace({{ stripped }}, '[^0-9]', '', 'g')
    {%- endset -%}
    {%- set e164_digits -%}
        case
            when starts_with({{ stripped }}, '+') then {{ digits }}
            when starts_with({{ digits }}, '00') then substr({{ digits }}, 3)
            when starts_with({{ digits }}, '011') and {{ country }} in ('US', 'CA') then substr({{ digits }}, 4)
            {%- for code, rule in codes.items() %}
            when {{ country }} = '{{ code }}' then
                {%- if rule[0] == '1' %}
                case when length({{ digits }}) = 11 and starts_with({{ digits }}, '1') then {{ digits }} else '1' || {{ digits }} end
                {%- elif rule[1] %}
                '{{ rule[0] }}' || case when starts_with({{ digits }}, '{{ rule[1] }}') then substr({{ digits }}, {{ rule[1] | length + 1 }}) else {{ digits }} end
                {%- else %}
                '{{ rule[0] }}' || {{ digits }}
                {%- endif %}
            {%- endfor %}
            else {{ digits }}
        end
    {%- endset -%}
    case
        when nullif({{ digits }}, '') is null then null
        when length({{ e164_digits }}) not between 8 and 15 then null
        when length({{ digits }}) < 7 then null
        when length(replace({{ digits }}, right({{ digits }}, 1), '')) <= 1 then null
        when ltrim({{ digits }}, '0') in (
            select ltrim(value, '0') from {{ ref('junk_identifiers') }} where kind = 'phone_national'
        ) then null
        when right({{ e164_digits }}, 10) in (select value from {{ ref('junk_identifiers') }} where kind = 'phone_national') then null
        else '+' || {{ e164_digits }}
    end
{%- endmacro %}
