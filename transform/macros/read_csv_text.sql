{#- A headed CSV file as a relation of text columns, named `columns` in file order (the file's header row names
    them the same; it is not data). Used for files outside the warehouse, such as the steward overrides.

      select * from {{ c360.read_csv_text('/path/overrides.csv', ['action', 'source_a', ...]) }}
-#}
{% macro read_csv_text(path, columns) -%}
    {{ return(adapter.dispatch('read_csv_text', 'c360')(path, columns)) }}
{%- endmacro %}

{% macro default__read_csv_text(path, columns) -%}
read_csv(
    '{{ path }}',
    header = true,
    all_varchar = true,
    columns = {
        {% for column in columns %}'{{ column }}': 'varchar'{{ ', ' if not loop.last }}{% endfor %}
    }
)
{%- endmacro %}

{#- Spark SQL reads a file path as a table (csv.`path`) without reader options: every column is a string named
    _c0, _c1, ... and the header row comes as a row, which is dropped by its values. -#}
{% macro spark__read_csv_text(path, columns) -%}
(
    select {% for column in columns %}_c{{ loop.index0 }} as {{ column }}{{ ', ' if not loop.last }}{% endfor %}
    from csv.`{{ path }}`
    where not ({% for column in columns %}_c{{ loop.index0 }} <=> '{{ column }}'{{ ' and ' if not loop.last }}{% endfor %})
)
{%- endmacro %}
