{#-
  Post-hook of customer_interactions: removes the touches of deleted Zendesk tickets (status deleted), of ratings
  of deleted tickets, and every touch attributed through a deleted Zendesk user (active false). A hook rather
  than a filter, because the model is incremental: a ticket deleted after its row was written is filtered out
  of the next batch, so delete+insert would never replace (remove) its old row.
-#}
{% macro delete_deleted_support_records() -%}
    delete from {{ this }}
    where (source_table = 'tickets' and source_record_id in (
            select ticket_id from {{ ref('stg_support__tickets') }} where is_deleted))
       or (source_table = 'satisfaction_ratings' and source_record_id in (
            select ratings.satisfaction_rating_id
            from {{ ref('stg_support__satisfaction_ratings') }} as ratings
            inner join {{ ref('stg_support__tickets') }} as tickets using (ticket_id)
            where tickets.is_deleted))
       or (identity_source = 'support' and identity_record_id in (
            select user_id from {{ ref('stg_support__users') }} where is_deleted))
{%- endmacro %}
