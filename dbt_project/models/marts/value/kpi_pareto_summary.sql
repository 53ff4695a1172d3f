-- The Pareto headline: share of revenue and known margin from the top 1%, 5%, 10% and 20% of
-- customers by revenue (rows of kpi_pareto). Key: top_share.

select
    cast(customer_percentile / 100 as decimal(3, 2)) as top_share,
    customers,
    cumulative_revenue_share as revenue_share,
    cumulative_margin_share as margin_share
from {{ ref('kpi_pareto') }}
where customer_percentile in (1, 5, 10, 20)
