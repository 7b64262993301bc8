{#- The materialization of the staging models of large at-least-once event tables (SendGrid events, Segment pages
    and tracks): `incremental` on DuckDB, so the de-duplication runs over new loads only (macro first_deliveries)
    and every model filtering them by load id reads a table instead of de-duplicating all events again. On Spark a
    view, like every other staging model (its plain Parquet tables cannot delete+insert: incremental_materialization).

      config(materialized=c360.staging_event_materialization(), unique_key='...', incremental_strategy='delete+insert')
-#}
{% macro staging_event_materialization() -%}
    {{ return(adapter.dispatch('staging_event_materialization', 'c360')()) }}
{%- endmacro %}

{% macro default__staging_event_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__staging_event_materialization() -%}
    {{ return('view') }}
{%- endmacro %}
