{#- Incremental identity: `union all` the rows of `relation` (a model's previous table, or the state) whose node
    (`node_column`) int_identity_components did not resolve in this run, so they stand as they were; nothing when
    every node is resolved (`previous`, from identity_previous_state, is none). -#}
{% macro identity_kept_rows(previous, relation, columns, node_column='node_key') -%}
    {%- if previous is not none %}
    union all
    select {{ columns | join(', ') }}
    from {{ relation }}
    where {{ node_column }} in (select node_key from {{ ref('int_identity_components') }} where not is_resolved)
    {%- endif %}
{%- endmacro %}
