-- Reverse logistics by reason over the whole history: returns, units, refunds and their rate
-- against sales (formulas: _orders__models.yml).
with returns as (

    select
        coalesce(return_reason, 'unknown') as return_reason,
        count(*) as returns,
        coalesce(sum(quantity_returned), 0)::bigint as units,
        coalesce(sum(refund_amount), 0) as refund_value,
        count(*) filter (where damaged) as damaged_returns
    from {{ ref('fct_returns') }}
    group by all

),

sales as (

    select coalesce(sum(quantity), 0)::bigint as units_sold, coalesce(sum(amount), 0) as sales_value
    from {{ ref('fct_order_lines') }}

)

select
    returns.return_reason,
    returns.returns,
    returns.units,
    cast(returns.refund_value as decimal(14, 2)) as refund_value,
    returns.damaged_returns,
    sales.units_sold,
    cast(sales.sales_value as decimal(14, 2)) as sales_value,
    {{ kpi_safe_ratio('returns.units', 'sales.units_sold') }} as return_rate,
    {{ kpi_safe_ratio('returns.refund_value', 'sales.sales_value') }} as refund_value_rate,
    {{ kpi_safe_ratio('returns.returns', 'sum(returns.returns) over ()') }} as share_of_returns
from returns
cross join sales
