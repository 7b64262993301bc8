{#-
  The calls of one Segment raw table (raw_web.<table_name>), one row per messageId: Segment delivers at least once
  and the load already keeps one row per messageId; this guards reloads (macro first_deliveries: in an incremental
  staging model, only the calls first delivered since its last build; `model_key` is the messageId's name there).
  Read through source_relation, so an absent table (web switched off, a call type never sent) is an empty relation
  of its declared columns.

      select * from {{ c360.segment_calls('pages', 'page_id') }}
-#}
{% macro segment_calls(table_name, model_key='message_id') -%}
    {{ c360.first_deliveries(c360.source_relation('web', table_name), 'message_id', model_key) }}
{%- endmacro %}
