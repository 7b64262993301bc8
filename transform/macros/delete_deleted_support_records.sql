{#-
  Post-hook of customer_interactions: removes the touches of deleted Zendesk tickets (status deleted), of ratings
  of deleted tickets, and every touch attributed through a deleted Zendesk user (active false). A hook rather
  than a filter, because the model is incremental: a ticket deleted after its row was written is filtered out
  of the next batch, so delete+insert would never replace (remove) its old row.
-#}
{% macro delete_deleted_support_records() -%}
    {%- set condition -%}
    (source_table = 'tickets' and source_record_id in (
            select ticket_id from {{ ref('stg_support__tickets') }} where is_deleted))
       or (source_table = 'satisfaction_ratings' and source_record_id in (
            select ratings.satisfaction_rating_id
            from {{ ref('stg_support__satisfaction_ratings') }} as ratings
            inner join {{ ref('stg_support__tickets') }} as tickets using (ticket_id)
            where tickets.is_deleted))
       or (identity_source = 'support' and identity_record_id in (
            select user_id from {{ ref('stg_support__users') }} where is_deleted))
    {%- endset -%}
    {{ return(adapter.dispatch('delete_deleted_support_records', 'c360')(condition)) }}
{%- endmacro %}

{% macro default__delete_deleted_support_records(condition) -%}
    delete from {{ this }}
    where {{ condition }}
{%- endmacro %}

{#- Spark's Parquet tables have no DELETE, and INSERT OVERWRITE may not read the table it overwrites: the rows that
    stay are copied to a scratch table and written back, when the hook is rendered (right after the model is
    built); the hook itself is then empty. -#}
{% macro spark__delete_deleted_support_records(condition) -%}
    {%- if execute -%}
        {%- set scratch = this.schema ~ '.' ~ this.identifier ~ '__kept' -%}
        {%- do run_query('drop table if exists ' ~ scratch) -%}
        {%- do run_query('create table ' ~ scratch ~ ' using parquet as select * from ' ~ this ~ ' where not coalesce(' ~ condition ~ ', false)') -%}
        {%- do run_query('insert overwrite table ' ~ this ~ ' select * from ' ~ scratch) -%}
        {%- do run_query('drop table ' ~ scratch) -%}
    {%- endif -%}
{%- endmacro %}
