{#-
  One row per `key` of an at-least-once event table: the row of the load that first delivered it (later loads of
  the same event are re-deliveries).

  In an incremental model (incremental_materialization) only the events first delivered since the model's last
  build are returned: rows of loads newer than its high-water mark whose key it does not hold yet (`model_key`: the
  key's name in the model). A view over all of an event table cost every model reading it a full de-duplication
  (2.7 M email events at 100,000 customers, several seconds each), even when that model then kept only the new
  loads; the de-duplicated table is built once and grows by what arrived.

      select * from {{ c360.first_deliveries(c360.source_relation('email', 'events'), 'sg_event_id', 'email_event_id') }}
-#}
{% macro first_deliveries(relation, key, model_key) -%}
    (
        select *
        from {{ relation }} as deliveries
        {%- if is_incremental() %}
        where deliveries._dlt_load_id > (select coalesce(max(_dlt_load_id), '') from {{ this }})
            and not exists (select 1 from {{ this }} as kept where kept.{{ model_key }} = deliveries.{{ key }})
        {%- endif %}
        qualify row_number() over (partition by {{ key }} order by _dlt_load_id) = 1
    )
{%- endmacro %}
