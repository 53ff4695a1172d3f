-- Monthly cohort retention matrix: one row per cohort_month and months_since_first k, from 0 to
-- the month of kpi_as_of(). Cohort = calendar month of the customer's first sale; active in
-- month k = at least one sale in calendar month cohort_month + k; retention_rate =
-- active_customers / cohort_size (1 at k = 0). Months with no active customer are rows with 0.
-- Sales after kpi_as_of() are ignored; the last month may be partial. Key: cohort_month,
-- months_since_first.

with order_months as (

    select distinct customer_key, cast(date_trunc('month', transaction_at) as date) as order_month
    from {{ ref('fct_order_lines') }}
    where customer_key is not null
        and cast(transaction_at as date) <= {{ kpi_as_of() }}

),

cohorts as (

    select customer_key, min(order_month) as cohort_month
    from order_months
    group by customer_key

),

sizes as (

    select cohort_month, count(*) as cohort_size
    from cohorts
    group by cohort_month

),

cells as (

    select
        cohort_month,
        cohort_size,
        unnest(range(0, date_diff('month', cohort_month, {{ kpi_as_of() }}) + 1)) as months_since_first
    from sizes

),

activity as (

    select
        cohorts.cohort_month,
        date_diff('month', cohorts.cohort_month, order_months.order_month) as months_since_first,
        count(distinct order_months.customer_key) as active_customers
    from order_months
    inner join cohorts on cohorts.customer_key = order_months.customer_key
    group by all

)

select
    cells.cohort_month,
    cast(cells.months_since_first as integer) as months_since_first,
    cast(cells.cohort_size as integer) as cohort_size,
    cast(coalesce(activity.active_customers, 0) as integer) as active_customers,
    {{ kpi_safe_ratio('coalesce(activity.active_customers, 0)', 'cells.cohort_size') }} as retention_rate
from cells
left join activity
    on activity.cohort_month = cells.cohort_month
    and activity.months_since_first = cells.months_since_first
