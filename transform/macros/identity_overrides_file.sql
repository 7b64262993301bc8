{#- The absolute path of the steward overrides CSV (var identity_overrides_path; relative paths resolve against the
    dbt project directory, so the file is found whatever directory dbt runs from). -#}
{% macro identity_overrides_file() -%}
    {%- set path = var('identity_overrides_path') -%}
    {%- if path.startswith('/') -%}
        {{ path }}
    {%- else -%}
        {{ invocation_args_dict.get('project_dir') or '.' }}/{{ path }}
    {%- endif -%}
{%- endmacro %}
