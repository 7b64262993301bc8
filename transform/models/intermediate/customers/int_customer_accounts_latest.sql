-- The account (company, organization) of each customer, from Segment group calls: the latest group call made by
-- any of the customer's web identities (userId or anonymousId) names the account, with the account traits as of
-- that call. A customer in several accounts gets the one it was last seen in.

with

assignments as (

    select node_key, customer_id from {{ ref('int_customer_ids_assigned') }}

),

group_calls as (

    select
        coalesce('web_user:' || user_id, 'web_anonymous:' || anonymous_id) as node_key,
        group_id,
        group_name,
        industry,
        plan,
        employee_count,
        occurred_at,
        group_call_id
    from {{ ref('stg_web__groups') }}
    where group_id is not null and coalesce(user_id, anonymous_id) is not null

)

select
    assignments.customer_id,
    group_calls.group_id as account_id,
    group_calls.group_name as account_name,
    group_calls.industry as account_industry,
    group_calls.plan as account_plan,
    group_calls.employee_count as account_employee_count,
    group_calls.occurred_at as account_seen_at
from group_calls
inner join assignments using (node_key)
qualify row_number() over (
    partition by assignments.customer_id order by group_calls.occurred_at desc, group_calls.group_call_id desc
) = 1
