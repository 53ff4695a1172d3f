-- Monthly churn rate: one row per calendar month from the first sale's month to the month of
-- kpi_as_of(). A customer churns on day L + churn_days when L is a purchase day and no purchase
-- follows within churn_days days (the next purchase day is later than L + churn_days, or there
-- is none and L + churn_days <= kpi_as_of()); a later purchase reactivates, so a customer can
-- churn again. active_at_start = customers not churned at the close of the previous day: at least
-- one purchase day in [month start - churn_days, month start - 1]. churned = customers whose churn
-- day falls in the month (always a subset of active_at_start). churn_rate = churned /
-- active_at_start, NULL when nobody was active. month_complete: the month ends on or before
-- kpi_as_of() (the last month is otherwise partial). Key: month.

with purchase_days as (

    select distinct customer_key, cast(transaction_at as date) as purchase_date
    from {{ ref('fct_order_lines') }}
    where customer_key is not null
        and cast(transaction_at as date) <= {{ kpi_as_of() }}

),

churn_events as (

    select customer_key, purchase_date + {{ var('churn_days') }} as churn_date
    from (
        select
            customer_key,
            purchase_date,
            lead(purchase_date) over (partition by customer_key order by purchase_date) as next_purchase_date
        from purchase_days
    )
    where purchase_date + {{ var('churn_days') }} < coalesce(next_purchase_date, {{ kpi_as_of() }} + 1)

),

months as (

    select {{ unnest_month_starts('min(purchase_date)', kpi_as_of()) }} as month
    from purchase_days

),

active as (

    select months.month, count(distinct purchase_days.customer_key) as active_at_start
    from months
    inner join purchase_days
        on purchase_days.purchase_date between months.month - {{ var('churn_days') }} and months.month - 1
    group by months.month

),

churned as (

    select cast(date_trunc('month', churn_date) as date) as month, count(distinct customer_key) as churned
    from churn_events
    group by all

)

select
    months.month,
    cast(coalesce(active.active_at_start, 0) as integer) as active_at_start,
    cast(coalesce(churned.churned, 0) as integer) as churned,
    {{ kpi_safe_ratio('coalesce(churned.churned, 0)', 'active.active_at_start') }} as churn_rate,
    last_day(months.month) <= {{ kpi_as_of() }} as month_complete
from months
left join active on active.month = months.month
left join churned on churned.month = months.month
