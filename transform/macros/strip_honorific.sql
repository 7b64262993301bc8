{#- A normalized given name without a leading form of address: "mrs jane" -> "jane", "dr john" -> "john",
    "herr klaus" -> "klaus". Zendesk users and imports write names as "Mrs. Jane Smith" or "Dr John Wheeler";
    the title is no part of the name, and left in it would make "dr john" and "john" look like two given names.
    A name that is only a title ("Mr Smith" -> given name "mr") becomes null. Single letters are left alone: "M."
    is as often an initial as the French "Monsieur". -#}
{% macro strip_honorific(normalized_given_name) -%}
    nullif(
        regexp_replace(
            {{ normalized_given_name }},
            '^((mr|mrs|ms|miss|mx|dr|prof|sir|dame|herr|frau|fr|hr|mme|mlle|mevr|mevrouw|dhr|monsieur|madame|mademoiselle)( |$))+',
            ''
        ),
        ''
    )
{%- endmacro %}
