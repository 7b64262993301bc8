{#-
  The fields every Segment call carries (Segment Spec: Common Fields), as the web staging models name them:
  user_id and anonymous_id (blank -> null), occurred_at (Segment's corrected `timestamp`), received_at, the page
  context (url, path, referrer: from properties on a page call, from context.page otherwise; null on a mobile screen
  call), user_agent and the load id. `cols` is c360.source_columns() of the raw table.

      select message_id as page_id, {{ c360.segment_common_fields(cols) }}, ...
-#}
{% macro segment_common_fields(cols) -%}
        nullif(trim({{ c360.optional_value(cols, 'user_id', 'varchar') }}), '') as user_id,
        nullif(trim({{ c360.optional_value(cols, 'anonymous_id', 'varchar') }}), '') as anonymous_id,
        cast(timestamp as {{ c360.type_timestamptz() }}) as occurred_at,
        {{ c360.optional_column(cols, 'received_at', 'timestamptz') }},
        {{ c360.optional_column(cols, ['properties__url', 'context__page__url'], 'varchar', 'url') }},
        {{ c360.optional_column(cols, ['properties__path', 'context__page__path'], 'varchar', 'path') }},
        {{ c360.optional_column(cols, ['properties__referrer', 'context__page__referrer'], 'varchar', 'referrer') }},
        {{ c360.optional_column(cols, 'context__user_agent', 'varchar', 'user_agent') }},
        _dlt_load_id
{%- endmacro %}
