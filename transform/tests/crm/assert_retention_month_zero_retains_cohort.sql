-- Month 0 of a cohort is its acquisition month: every member ordered then, so the share is exactly 1, and the
-- cohort sizes add up to the customers with a valid order.

select cohort_month, retained_customers, cohort_size
from {{ ref('retention_cohorts') }}
where months_since_acquisition = 0 and (retained_customers <> cohort_size or retained_share <> 1)

union all

select null, (select sum(cohort_size) from {{ ref('retention_cohorts') }} where months_since_acquisition = 0), count(*)
from {{ ref('customer_360') }}
where order_count > 0
having count(*) <> (select coalesce(sum(cohort_size), 0) from {{ ref('retention_cohorts') }} where months_since_acquisition = 0)
