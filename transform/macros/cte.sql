{#-
  A CTE of a model, `name as (<body>)`, for CTEs that a compile-time step must read outside the model's query:
  on Spark it is also a temporary view of the same name, so spark__connected_components can materialize it
  (the view is dropped with the session; CTEs of the query shadow it). On DuckDB just the CTE.

      {% call c360.cte('edges') %}
          select node_key_a, node_key_b from {{ ref('int_identity_edges') }}
      {% endcall %},
-#}
{% macro cte(name) -%}
    {{ return(adapter.dispatch('cte', 'c360')(name, caller())) }}
{%- endmacro %}

{% macro default__cte(name, body) -%}
{{ name }} as (
{{ body }}
)
{%- endmacro %}

{% macro spark__cte(name, body) -%}
    {%- if execute -%}
        {%- do run_query('create or replace temporary view ' ~ name ~ ' as ' ~ body) -%}
    {%- endif -%}
{{ name }} as (
{{ body }}
)
{%- endmacro %}
