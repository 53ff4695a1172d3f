-- Monthly acquisition-cohort retention matrix: one row per cohort_month and months_since_first
-- k, from 0 to the month of kpi_as_of(). Cohort = calendar month of the customer's acquisition
-- (customer_acquisition.acquired_on: first evidence in any source); active in month k = at least
-- one sale in calendar month cohort_month + k; retention_rate = active_customers / cohort_size.
-- Months with no active customer are rows with 0. Sales after kpi_as_of() are ignored.
-- is_warm_up: the cohort month begins before the warm-up ends (acquisition unknown).
-- is_complete: not warm-up and month k ended on or before kpi_as_of(). Key: cohort_month,
-- months_since_first.

with cohorts as (

    select
        customer_key,
        cast(date_trunc('month', acquired_on) as date) as cohort_month,
        warm_up_end
    from {{ ref('customer_acquisition') }}

),

order_months as (

    select distinct customer_key, cast(date_trunc('month', transaction_at) as date) as order_month
    from {{ ref('fct_order_lines') }}
    where customer_key is not null
        and cast(transaction_at as date) <= {{ kpi_as_of() }}

),

sizes as (

    select cohort_month, any_value(warm_up_end) as warm_up_end, count(*) as cohort_size
    from cohorts
    group by cohort_month

),

cells as (

    select
        cohort_month,
        warm_up_end,
        cohort_size,
        {{ unnest_integer_range(0, calendar_months_between('cohort_month', kpi_as_of()) ~ ' + 1') }} as months_since_first
    from sizes

),

activity as (

    select
        cohorts.cohort_month,
        {{ calendar_months_between('cohorts.cohort_month', 'order_months.order_month') }} as months_since_first,
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
    {{ kpi_safe_ratio('coalesce(activity.active_customers, 0)', 'cells.cohort_size') }} as retention_rate,
    cells.cohort_month < cells.warm_up_end as is_warm_up,
    cells.cohort_month >= cells.warm_up_end
        and {{ date_add_months('cells.cohort_month', 'cast(cells.months_since_first as integer) + 1') }}
            <= {{ kpi_as_of() }} + 1 as is_complete
from cells
left join activity
    on activity.cohort_month = cells.cohort_month
    and activity.months_since_first = cells.months_since_first
