-- Order lines by current status and age band as of kpi_as_of(), with their backorders: how much
-- went on backorder, shipped later, was cancelled or is still open (_orders__models.yml).
-- Line status and balances come from macro kpi_order_line_status (shared with kpi_perfect_order).
with {{ kpi_order_line_status() }},

banded as (

    select *, {{ kpi_order_age_band('age_days') }} as age_band from order_line_status

)

select
    {{ kpi_as_of() }} as as_of_date,
    current_status,
    age_band,
    count(*) as order_lines,
    count(distinct transaction_id) as orders,
    sum(units_ordered)::bigint as units_ordered,
    sum(units_delivered)::bigint as units_delivered,
    sum(units_cancelled)::bigint as units_cancelled,
    count(*) filter (where units_backordered > 0) as backordered_lines,
    sum(units_backordered)::bigint as units_backordered,
    sum(units_backorder_shipped)::bigint as units_backorder_shipped,
    sum(units_backorder_open)::bigint as units_backorder_open,
    count(*) filter (where backorder_shipped_at is not null) as backorders_shipped_later,
    avg({{ seconds_between('backordered_at', 'backorder_shipped_at') }} / 86400)
        filter (where backorder_shipped_at is not null) as avg_backorder_days_to_ship
from banded
group by current_status, age_band
