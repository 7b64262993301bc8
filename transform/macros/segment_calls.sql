{#-
  The calls of one Segment raw table (raw_web.<table_name>), one row per messageId: Segment delivers at least once
  and the load already keeps one row per messageId; this guards reloads. Read through source_relation, so an absent
  table (web switched off, a call type never sent) is an empty relation of its declared columns.

      select * from {{ c360.segment_calls('pages') }}
-#}
{% macro segment_calls(table_name) -%}
    (
        select *
        from {{ c360.source_relation('web', table_name) }}
        qualify row_number() over (partition by message_id order by _dlt_load_id) = 1
    )
{%- endmacro %}
