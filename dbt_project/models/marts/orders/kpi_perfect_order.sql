-- Perfect order per month of order: on time, in full, damage free, correctly documented, right
-- product, place, customer and cost, as components and combined, with OTIF, cycle time, fill rate,
-- backorders and the orders not delivered yet (_orders__models.yml). The order-level components
-- come from macro kpi_perfect_order_orders (shared with kpi_headline); orders in transit from the
-- order-management events (macro kpi_order_line_status).
with {{ kpi_perfect_order_orders() }},

{{ kpi_order_line_status() }},

orders as (

    select *, date_trunc('month', order_day)::date as month from perfect_order_orders

),

-- Not delivered as of kpi_as_of(): exported lines without delivered_at, and orders of the event
-- feed with no unit delivered that are not wholly cancelled (in transit, placed or backordered).
undelivered as (

    select month, transaction_id from orders where not is_delivered
    union
    select date_trunc('month', min(placed_at))::date as month, transaction_id
    from order_line_status
    group by transaction_id
    having sum(units_delivered) = 0 and not bool_and(current_status = 'cancelled')

),

undelivered_monthly as (

    select month, count(distinct transaction_id) as undelivered_orders from undelivered group by month

),

monthly as (

    select
        month,
        count(*) filter (where is_delivered) as orders,
        count(*) filter (where is_delivered and on_time) as on_time_orders,
        count(*) filter (where is_delivered and in_full) as in_full_orders,
        count(*) filter (where is_delivered and on_time and in_full) as otif_orders,
        count(*) filter (where is_delivered and damage_free) as damage_free_orders,
        count(*) filter (where is_delivered and documentation_ok) as documentation_ok_orders,
        count(*) filter (where {{ kpi_is_perfect_order() }}) as perfect_orders,
        {%- for c in ['right_product', 'right_place', 'right_customer', 'right_cost'] %}
        count(*) filter (where is_delivered and {{ c }}) as {{ c }}_orders,
        count(*) filter (where is_delivered and {{ c }} is not null) as {{ c }}_measured_orders,
        {%- endfor %}
        count(*) filter (where {{ kpi_is_perfect_order_all_criteria() }}) as perfect_orders_all_criteria,
        count(*) filter (where is_delivered and {{ kpi_is_perfect_order_all_criteria() }} is not null)
            as all_criteria_measured_orders,
        coalesce(sum(cycle_hours) filter (where is_delivered), 0) as total_cycle_hours,
        coalesce(sum(units_ordered) filter (where is_delivered), 0)::bigint as units_ordered,
        coalesce(sum(units_shipped) filter (where is_delivered), 0)::bigint as units_shipped,
        count(*) filter (where is_delivered and backordered) as backordered_orders
    from orders
    group by month

),

months as (

    select
        coalesce(monthly.month, undelivered_monthly.month) as order_month,
        monthly.*,
        coalesce(undelivered_monthly.undelivered_orders, 0) as undelivered_orders
    from monthly
    full join undelivered_monthly on undelivered_monthly.month = monthly.month

)

select
    order_month as month,
    coalesce(orders, 0) as orders,
    coalesce(on_time_orders, 0) as on_time_orders,
    coalesce(in_full_orders, 0) as in_full_orders,
    coalesce(otif_orders, 0) as otif_orders,
    coalesce(damage_free_orders, 0) as damage_free_orders,
    coalesce(documentation_ok_orders, 0) as documentation_ok_orders,
    coalesce(perfect_orders, 0) as perfect_orders,
    {{ kpi_safe_ratio('on_time_orders', 'orders') }} as on_time_rate,
    {{ kpi_safe_ratio('in_full_orders', 'orders') }} as in_full_rate,
    {{ kpi_safe_ratio('damage_free_orders', 'orders') }} as damage_free_rate,
    {{ kpi_safe_ratio('documentation_ok_orders', 'orders') }} as documentation_ok_rate,
    {{ kpi_safe_ratio('perfect_orders', 'orders') }} as perfect_order_rate,
    {{ kpi_safe_ratio('on_time_orders', 'orders') }} * {{ kpi_safe_ratio('in_full_orders', 'orders') }}
        * {{ kpi_safe_ratio('damage_free_orders', 'orders') }}
        * {{ kpi_safe_ratio('documentation_ok_orders', 'orders') }} as perfect_order_index,
    {{ kpi_safe_ratio('otif_orders', 'orders') }} as otif_rate,
    {%- for c in ['right_product', 'right_place', 'right_customer', 'right_cost'] %}
    coalesce({{ c }}_orders, 0) as {{ c }}_orders,
    coalesce({{ c }}_measured_orders, 0) as {{ c }}_measured_orders,
    {{ kpi_safe_ratio(c ~ '_orders', c ~ '_measured_orders') }} as {{ c }}_rate,
    {%- endfor %}
    coalesce(perfect_orders_all_criteria, 0) as perfect_orders_all_criteria,
    coalesce(all_criteria_measured_orders, 0) as all_criteria_measured_orders,
    {{ kpi_safe_ratio('perfect_orders_all_criteria', 'all_criteria_measured_orders') }}
        as perfect_order_rate_all_criteria,
    coalesce(total_cycle_hours, 0) as total_cycle_hours,
    {{ kpi_safe_ratio('total_cycle_hours', 'orders') }} as avg_cycle_hours,
    coalesce(units_ordered, 0)::bigint as units_ordered,
    coalesce(units_shipped, 0)::bigint as units_shipped,
    {{ kpi_safe_ratio('units_shipped', 'units_ordered') }} as fill_rate,
    coalesce(backordered_orders, 0) as backordered_orders,
    {{ kpi_safe_ratio('backordered_orders', 'orders') }} as backorder_rate,
    undelivered_orders
from months
