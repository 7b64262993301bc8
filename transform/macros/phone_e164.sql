{#- The country table and the validated var('default_phone_country') are read here, once for every engine; the
    engine's implementation only writes the SQL. -#}
{% macro phone_e164(column, country_column=none) -%}
    {%- set codes = c360.phone_country_codes() -%}
    {%- set default_country = var('default_phone_country') | upper -%}
    {%- if default_country not in codes -%}
        {{ exceptions.raise_compiler_error("var default_phone_country=" ~ default_country ~ " is not one of " ~ (codes.keys() | list | sort | join(', '))) }}
    {%- endif -%}
    {{ return(adapter.dispatch('phone_e164', 'c360')(column, country_column, codes, default_country)) }}
{%- endmacro %}

{% macro default__phone_e164(column, country_column, codes, default_country) -%}
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

{% macro spark__phone_e164(column, country_column, codes, default_country) -%}
    transform(
        array(named_struct(
            'raw', regexp_replace(regexp_replace({{ c360.trim_whitespace(column) }}, '\s*(?i:x|ext\.?|extension)\s*\d+\s*$', ''), '\(\s*0\s*\)', ''),
            'country', coalesce(upper(nullif(trim({{ country_column if country_column else 'cast(null as string)' }}), '')), '{{ default_country }}')
        )),
        p -> transform(
            array(named_struct(
                'is_international', startswith(p.raw, '+'),
                'digits', regexp_replace(p.raw, '[^0-9]', ''),
                'calling_code', map(
                    {%- for code, rule in codes.items() %}'{{ code }}', '{{ rule[0] }}'{{ ', ' if not loop.last }}{% endfor -%}
                )[p.country],
                'trunk', map(
                    {%- for code, rule in codes.items() %}'{{ code }}', '{{ rule[1] }}'{{ ', ' if not loop.last }}{% endfor -%}
                )[p.country]
            )),
            n -> case
                when n.digits = '' then null
                when n.is_international then n.digits
                when startswith(n.digits, '00') then substr(n.digits, 3)
                when startswith(n.digits, '011') and n.calling_code = '1' then substr(n.digits, 4)
                when n.calling_code is null then null
                when n.calling_code = '1' and length(n.digits) = 11 and startswith(n.digits, '1') then n.digits
                when n.trunk <> '' and startswith(n.digits, n.trunk) then n.calling_code || substr(n.digits, length(n.trunk) + 1)
                else n.calling_code || n.digits
            end
        )[0]
    )[0]
{%- endmacro %}
