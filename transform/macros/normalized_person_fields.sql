{#-
  The identifying fields of a person record, normalized the same way in every source that has people (sales
  customers, Zendesk users, Segment identify traits), so the identity rules compare like with like:

    email, phone                      normalized (macros/normalize_email.sql, normalize_phone.sql; the phone read
                                      with `phone_country` for national numbers)
    first_name, last_name             normalized for matching (accents folded, lower case; a leading title such as
                                      "Mrs." or "Dr" dropped from the given name, macro strip_honorific)
    first_name_display, last_name_display   as written, cleaned, for the golden record
    first_name_canonical              first_name with its nickname resolved (seed nickname_map)
    is_email_junk                     an email was given but is not a usable address (placeholder, malformed)

  Arguments are SQL expressions of the raw values.

      {{ c360.normalized_person_fields('email_raw', 'phone_raw', 'country', 'given_name_raw', 'family_name_raw') }},
-#}
{% macro normalized_person_fields(email, phone, phone_country, given_name, family_name) -%}
        {{ normalize_email(email) }} as email,
        {{ normalize_phone(phone, phone_country) }} as phone,
        {{ strip_honorific(normalize_name(given_name)) }} as first_name,
        {{ normalize_name(family_name) }} as last_name,
        {{ clean_text(given_name) }} as first_name_display,
        {{ clean_text(family_name) }} as last_name_display,
        {{ canonical_first_name(strip_honorific(normalize_name(given_name))) }} as first_name_canonical,
        {{ is_junk_email(email, normalize_email(email)) }} as is_email_junk
{%- endmacro %}
