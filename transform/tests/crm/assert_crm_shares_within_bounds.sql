-- Every share, probability and score of the CRM marts lies in its documented range.

select 'customer_value.churn_risk' as field, customer_id as row_key, churn_risk::double as value
from {{ ref('customer_value') }}
where churn_risk not between 0 and 1

union all
select 'customer_satisfaction.csat', customer_id, csat
from {{ ref('customer_satisfaction') }}
where csat not between 0 and 1

union all
select 'customer_satisfaction.satisfaction_score', customer_id, satisfaction_score
from {{ ref('customer_satisfaction') }}
where satisfaction_score not between 0 and 100

union all
select 'satisfaction_by_segment_month.csat', segment || '|' || month, csat
from {{ ref('satisfaction_by_segment_month') }}
where csat not between 0 and 1

union all
select 'retention_cohorts.retained_share', cohort_month || '|' || months_since_acquisition, retained_share
from {{ ref('retention_cohorts') }}
where retained_share not between 0 and 1 or retained_customers > cohort_size

union all
select 'channel_preference.' || channel, customer_id, score
from {{ ref('channel_preference') }}
unpivot (score for channel in (email_score, web_score, support_score))
where score not between 0 and 1
