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

{% macro phone_e164(column, country_column=none) -%}
    {%- set codes = c360.phone_country_codes() -%}
    {%- set default_country = var('default_phone_country') | upper -%}
    {%- if default_country not in codes -%}
        {{ exceptions.raise_compiler_error("var default_phone_country=" ~ default_country ~ " is not one of " ~ (codes.keys() | list | sort | join(', '))) }}
    {%- endif -%}
    list_transform(
        [struct_pack(
            raw := regexp_replace(regexp_replace({{ c360.trim_whitespace(column) }}, '\s*(?i:x|ext\.?|extension)\s*\d+\s*$', ''), '\(\s*0\s*\)', '', 'g'),
            country := coalesce(upper(nullif(trim({{ country_column if country_column else 'null' }}), '')), '{{ default_country }}')
        )],
        lambda p: list_transform(
            [struct_pack(
                is_international := starts_with(p.raw, '+'),
                digits := regexp_replace(p.raw, '[^0-9]', '', 'g'),
                calling_code := map {
                    {%- for code, rule in codes.items() %}'{{ code }}': '{{ rule[0] }}'{{ ', ' if not loop.last }}{% endfor -%}
                }[p.country],
                trunk := map {
                    {%- for code, rule in codes.items() %}'{{ code }}': '{{ rule[1] }}'{{ ', ' if not loop.last }}{% endfor -%}
                }[p.country],
                country := p.country
            )],
            lambda n: case
                when n.digits = '' then null
                when n.is_international then n.digits
                when starts_with(n.digits, '00') then substr(n.digits, 3)
                when starts_with(n.digits, '011') and n.calling_code = '1' then substr(n.digits, 4)
                when n.calling_code is null then null
                when n.calling_code = '1' and length(n.digits) = 11 and starts_with(n.digits, '1') then n.digits
                when n.trunk <> '' and starts_with(n.digits, n.trunk) then n.calling_code || substr(n.digits, length(n.trunk) + 1)
                else n.calling_code || n.digits
            end
        )[1]
    )[1]
{%- endmacro %}

{% macro normalize_phone(column, country_column=none) -%}
    list_transform(
        [struct_pack(
            e164 := {{ c360.phone_e164(column, country_column) }},
            digits := regexp_replace({{ column }}, '[^0-9]', '', 'g'),
            junk := (select list(value) from {{ ref('junk_identifiers') }} where kind = 'phone_national')
        )],
        lambda r: case
            when r.e164 is null then null
            when length(r.e164) not between 8 and 15 then null
            -- one digit repeated after the country code: 0000000, 1111111
            when length(replace(substr(r.e164, 3), right(r.e164, 1), '')) = 0 then null
            when list_contains(r.junk, r.digits) or list_contains(r.junk, right(r.digits, 10)) then null
            else '+' || r.e164
        end
    )[1]
{%- endmacro %}
