-- Monthly acquisition cohorts: customers by the month of their first valid order, and for every month since
-- (0 = the acquisition month, up to the reference month) how many of them placed a valid order in that month.
-- Month 0 retains the whole cohort by definition; every cohort has a row for every month, zero or not.

with

reference as (

    select date_trunc('month', reference_date)::date as reference_month from {{ ref('int_crm_reference_dates') }}

),

customer_months as (

    select distinct orders.customer_id, orders.order_month
    from {{ ref('int_crm_orders_attributed') }} as orders
    inner join {{ ref('customer_360') }} as customers on customers.customer_id = orders.customer_id
    where orders.is_valid

),

acquisitions as (

    select customer_id, min(order_month) as cohort_month
    from customer_months
    group by customer_id

),

cohorts as (

    select cohort_month, count(*) as cohort_size
    from acquisitions
    group by cohort_month

),

grid as (

    select
        cohorts.cohort_month,
        cohorts.cohort_size,
        {{ c360.unnest_range(0, 'greatest(0, ' ~ c360.date_diff('month', 'cohorts.cohort_month', 'reference.reference_month') ~ ')') }} as months_since_acquisition
    from cohorts
    cross join reference

),

activity as (

    select
        acquisitions.cohort_month,
        {{ c360.date_diff('month', 'acquisitions.cohort_month', 'customer_months.order_month') }} as months_since_acquisition,
        count(*) as retained_customers
    from customer_months
    inner join acquisitions on acquisitions.customer_id = customer_months.customer_id
    group by all

)

select
    grid.cohort_month,
    grid.months_since_acquisition::integer as months_since_acquisition,
    {{ c360.add_months('grid.cohort_month', 'grid.months_since_acquisition::integer') }} as activity_month,
    grid.cohort_size,
    coalesce(activity.retained_customers, 0) as retained_customers,
    coalesce(activity.retained_customers, 0)::double / grid.cohort_size as retained_share
from grid
left join activity
    on activity.cohort_month = grid.cohort_month
    and activity.months_since_acquisition = grid.months_since_acquisition
