{#- The canonical form of a given name (bob, bobby, rob -> robert) from seed nickname_map; expects a normalized
    name. Only the first word is mapped: "bob lee" -> "robert lee". -#}
{% macro canonical_first_name(normalized_column) -%}
    {{ return(adapter.dispatch('canonical_first_name', 'c360')(normalized_column)) }}
{%- endmacro %}

{% macro default__canonical_first_name(normalized_column) -%}
    list_transform(
        [struct_pack(
            name := {{ normalized_column }},
            nicknames := (select map(list(nickname), list(canonical_name)) from {{ ref('nickname_map') }})
        )],
        lambda r: case
            when r.name is null then null
            else array_to_string(
                list_transform(
                    string_split(r.name, ' '),
                    lambda word, i: case when i = 1 then coalesce(r.nicknames[word], word) else word end
                ),
                ' '
            )
        end
    )[1]
{%- endmacro %}

{#- Spark: the first word (up to the first space) through the nickname map, the rest as it is. -#}
{% macro spark__canonical_first_name(normalized_column) -%}
    transform(
        array({{ normalized_column }}),
        name -> case
            when name is null then null
            else coalesce(element_at({{ c360.spark_seed_map('nickname_map', 'nickname', 'canonical_name') }}, substring_index(name, ' ', 1)),
                          substring_index(name, ' ', 1))
                 || substr(name, length(substring_index(name, ' ', 1)) + 1)
        end
    )[0]
{%- endmacro %}
