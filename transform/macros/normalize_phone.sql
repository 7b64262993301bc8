{% macro normalize_phone(column, country_column=none) -%}
    {{ return(adapter.dispatch('normalize_phone', 'c360')(column, country_column)) }}
{%- endmacro %}

{% macro default__normalize_phone(column, country_column=none) -%}
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

{% macro spark__normalize_phone(column, country_column=none) -%}
    transform(
        array(named_struct(
            'e164', {{ c360.phone_e164(column, country_column) }},
            'digits', regexp_replace({{ column }}, '[^0-9]', '')
        )),
        r -> case
            when r.e164 is null then null
            when length(r.e164) not between 8 and 15 then null
            -- one digit repeated after the country code: 0000000, 1111111
            when length(replace(substr(r.e164, 3), right(r.e164, 1), '')) = 0 then null
            when array_contains({{ c360.spark_seed_array('junk_identifiers', 'value', "kind = 'phone_national'") }}, r.digits)
              or array_contains({{ c360.spark_seed_array('junk_identifiers', 'value', "kind = 'phone_national'") }}, right(r.digits, 10)) then null
            else '+' || r.e164
        end
    )[0]
{%- endmacro %}
