{#-
  Phone numbers as E.164 (+<country code><national significant number>):
  - an extension (x12, ext. 12) is dropped, and so is the "(0)" trunk written inside international numbers
    (+44 (0)20 ...);
  - a leading + or 00 (011 from North America) means the number is already international;
  - otherwise the number is national: the trunk prefix (0 in GB/DE/FR/NL/..., 1 in NANP) is removed and the
    country code of the record's country is prepended, or of var('default_phone_country') when the record has none;
  - fewer than 7 digits, more than 15, one digit repeated, or a blocklisted national number (seed
    junk_identifiers, kind phone_national): null.
  The parsing runs inside a one-element list_transform so each intermediate value is computed once per row.
-#}
{% macro phone_country_codes() -%}
    {#- country -> (calling code, national trunk prefix) -#}
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
