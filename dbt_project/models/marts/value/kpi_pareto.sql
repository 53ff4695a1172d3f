-- Pareto (concentration) curve of customer value: one row per customer_percentile p = 1..100.
-- The top p% of customers are the ceil(p x N / 100) customers ranked first by revenue
-- (kpi_customer_value.revenue_rank, ties broken by customer_key), N = customers with a sale.
-- cumulative_revenue_share = their revenue / all revenue; cumulative_margin_share = their known
-- margin / all known margin (the same customers, ranked by revenue). Key: customer_percentile.

with customers as (

    select
        revenue_rank,
        sum(revenue) over (order by revenue_rank) as cumulative_revenue,
        sum(coalesce(margin, 0)) over (order by revenue_rank) as cumulative_margin
    from {{ ref('kpi_customer_value') }}

),

totals as (

    select count(*) as customers, sum(revenue) as revenue, sum(coalesce(margin, 0)) as margin
    from {{ ref('kpi_customer_value') }}

),

percentiles as (

    select
        cast(percentile.p as integer) as customer_percentile,
        -- integer ceiling of p x N / 100: the top 1% of 150 customers is 2 customers, never 0
        cast({{ integer_divide('percentile.p * totals.customers + 99', '100') }} as integer) as customers,
        totals.revenue as total_revenue,
        totals.margin as total_margin
    from (select {{ unnest_integer_range(1, 101) }} as p) as percentile
    cross join totals
    where totals.customers > 0

)

select
    percentiles.customer_percentile,
    percentiles.customers,
    {{ kpi_safe_ratio('customers.cumulative_revenue', 'percentiles.total_revenue') }} as cumulative_revenue_share,
    {{ kpi_safe_ratio('customers.cumulative_margin', 'percentiles.total_margin') }} as cumulative_margin_share
from percentiles
inner join customers on customers.revenue_rank = percentiles.customers
