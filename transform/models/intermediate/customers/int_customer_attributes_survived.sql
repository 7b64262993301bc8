{{
    config(
        materialized=c360.incremental_materialization(),
        unique_key='customer_id',
        incremental_strategy='delete+insert',
        on_schema_change='append_new_columns',
        post_hook="{{ c360.delete_rebuild_markers('field') }}",
    )
}}

-- Survivorship: for each customer and field, the one value the golden record keeps.
-- Order: the most trusted source (trust_rank), then the most recent observation, then the value seen most often
-- for the customer, then (only to be deterministic) the smallest value, source and source record.
--
-- Incremental per customer, like int_customer_attribute_candidates: a run rebuilds the customers whose candidates
-- were written since this model's rows (computed_at) and removes those with no candidates left (ids retired by a
-- merge), with one marker row each (field null) that the post-hook deletes.

with

{% if is_incremental() %}
affected as (

    select customer_id
    from {{ ref('int_customer_attribute_candidates') }}
    where computed_at > (select coalesce(max(computed_at), cast('1970-01-01' as {{ c360.type_timestamptz() }})) from {{ this }})

    union

    select customer_id from {{ this }}
    where customer_id not in (select customer_id from {{ ref('int_customer_attribute_candidates') }})

),
{% endif %}

candidates as (

    select
        *,
        count(*) over (partition by customer_id, field, value) as value_frequency
    from {{ ref('int_customer_attribute_candidates') }}
    where value is not null
    {% if is_incremental() %}
        and customer_id in (select customer_id from affected)
    {% endif %}

),

survivors as (

    select
        customer_id,
        field,
        value,
        source,
        source_record_id,
        observed_at as updated_at,
        value_frequency
    from candidates
    qualify row_number() over (
        partition by customer_id, field
        order by trust_rank, observed_at desc nulls last, value_frequency desc, value, source, source_record_id
    ) = 1

)

select *, cast('{{ run_started_at }}' as {{ c360.type_timestamptz() }}) as computed_at
from survivors
{% if is_incremental() %}
-- a marker per rebuilt customer, so that delete+insert also deletes the rows of a customer left with none
{{ c360.rebuild_markers('affected') }}
{% endif %}
