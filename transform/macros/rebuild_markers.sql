{#-
  The marker rows of an incremental run of a model rebuilt per customer (int_customer_attribute_candidates,
  int_customer_attributes_survived): one row per customer of `affected` (a CTE of customer_id), every other column
  null, appended to the model's rows. delete+insert on customer_id then deletes the old rows of every affected
  customer, also of one that has no rows any more (an id retired by a merge); the post-hook delete_rebuild_markers
  removes the markers. Only in an incremental run (DuckDB).

      select ... from survivors
      {% if is_incremental() %} {{ c360.rebuild_markers('affected') }} {% endif %}
-#}
{% macro rebuild_markers(affected) -%}
union all by name
select customer_id, cast('{{ run_started_at }}' as {{ c360.type_timestamptz() }}) as computed_at
from {{ affected }}
{%- endmacro %}
