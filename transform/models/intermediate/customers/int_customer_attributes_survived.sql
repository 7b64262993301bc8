-- Survivorship: for each customer and field, the one value the golden record keeps.
-- Order: the most trusted source (trust_rank), then the most recent observation, then the value seen most often
-- for the customer, then (only to be deterministic) the smallest value.

with

candidates as (

    select
        *,
        count(*) over (partition by customer_id, field, value) as value_frequency
    from {{ ref('int_customer_attribute_candidates') }}
    where value is not null

)

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
    order by trust_rank, observed_at desc nulls last, value_frequency desc, value
) = 1
