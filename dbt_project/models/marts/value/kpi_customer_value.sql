-- Historical value and profitability per customer: one row per customer with at least one sale
-- line on or before kpi_as_of(). revenue = net sale amount (after discount); net_revenue =
-- revenue - refunds (the historical CLV); margin = sale margin of the lines whose cost is known.
-- revenue_rank orders customers by revenue for the Pareto view. Key: customer_key.

with sales as (

    select
        customer_key,
        count(distinct transaction_id) as orders,
        sum(amount) as revenue,
        sum(amount) filter (where cost_amount is not null) as cost_known_revenue,
        sum(margin) as margin,
        min(transaction_at) as first_order_at,
        max(transaction_at) as last_order_at
    from {{ ref('fct_order_lines') }}
    where customer_key is not null
        and cast(transaction_at as date) <= {{ kpi_as_of() }}
    group by customer_key

),

refunds as (

    select
        customer_key,
        count(distinct transaction_id) as returns,
        sum(refund_amount) as returns_value
    from {{ ref('fct_returns') }}
    where customer_key is not null
        and cast(returned_at as date) <= {{ kpi_as_of() }}
    group by customer_key

)

select
    sales.customer_key,
    cast(sales.orders as integer) as orders,
    cast(sales.revenue as decimal(14, 2)) as revenue,
    cast(coalesce(refunds.returns, 0) as integer) as returns,
    cast(coalesce(refunds.returns_value, 0) as decimal(14, 2)) as returns_value,
    cast(sales.revenue - coalesce(refunds.returns_value, 0) as decimal(14, 2)) as net_revenue,
    cast(coalesce(sales.cost_known_revenue, 0) as decimal(14, 2)) as cost_known_revenue,
    cast(sales.margin as decimal(14, 2)) as margin,
    {{ kpi_safe_ratio('coalesce(sales.cost_known_revenue, 0)', 'sales.revenue') }} as margin_known_share,
    {{ kpi_safe_ratio('sales.margin', 'sales.cost_known_revenue') }} as margin_rate,
    {{ decimal_of_double('cast(sales.revenue as double) / sales.orders', 14, 2) }} as avg_order_value,
    sales.first_order_at,
    sales.last_order_at,
    cast({{ days_between('cast(sales.first_order_at as date)', kpi_as_of()) }} + 1 as integer) as tenure_days,
    cast(row_number() over (order by sales.revenue desc, sales.customer_key) as integer) as revenue_rank
from sales
left join refunds on refunds.customer_key = sales.customer_key
