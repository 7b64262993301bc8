{#-
  Post-hook of the models rebuilt per customer (int_customer_attribute_candidates, int_customer_attributes_survived):
  an incremental run emits one marker row per rebuilt customer (`marker_column` null, a column every real row
  fills), so that delete+insert on customer_id also deletes the old rows of a customer that has none any more (an
  id retired by a merge); this removes the markers again. A no-op on Spark, where these models are rebuilt in full
  (incremental_materialization) and never hold a marker.
-#}
{% macro delete_rebuild_markers(marker_column) -%}
    {{ return(adapter.dispatch('delete_rebuild_markers', 'c360')(marker_column)) }}
{%- endmacro %}

{% macro default__delete_rebuild_markers(marker_column) -%}
    delete from {{ this }} where {{ marker_column }} is null
{%- endmacro %}

{% macro spark__delete_rebuild_markers(marker_column) -%}
{%- endmacro %}
