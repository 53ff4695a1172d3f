-- Perfect order per month of order: on time, in full, damage free and correctly documented, as
-- components and combined, with OTIF, cycle time, fill rate and backorders (_orders__models.yml).
-- The order-level components come from macro kpi_perfect_order_orders (shared with kpi_headline).
with {{ kpi_perfect_order_orders() }},

orders as (

    select *, date_trunc('month', order_day)::date as month from perfect_order_orders

),

monthly as (

    select
        month,
        count(*) filter (where is_delivered) as orders,
        count(*) filter (where not is_delivered) as undelivered_orders,
        count(*) filter (where is_delivered and on_time) as on_time_orders,
        count(*) filter (where is_delivered and in_full) as in_full_orders,
        count(*) filter (where is_delivered and on_time and in_full) as otif_orders,
        count(*) filter (where is_delivered and damage_free) as damage_free_orders,
        count(*) filter (where is_delivered and documentation_ok) as documentation_ok_orders,
        count(*) filter (where {{ kpi_is_perfect_order() }}) as perfect_orders,
        coalesce(sum(cycle_hours) filter (where is_delivered), 0) as total_cycle_hours,
        coalesce(sum(units_ordered) filter (where is_delivered), 0)::bigint as units_ordered,
        coalesce(sum(units_shipped) filter (where is_delivered), 0)::bigint as units_shipped,
        count(*) filter (where is_delivered and backordered) as backordered_orders
    from orders
    group by month

)

select
    month,
    orders,
    on_time_orders,
    in_full_orders,
    otif_orders,
    damage_free_orders,
    documentation_ok_orders,
    perfect_orders,
    {{ kpi_safe_ratio('on_time_orders', 'orders') }} as on_time_rate,
    {{ kpi_safe_ratio('in_full_orders', 'orders') }} as in_full_rate,
    {{ kpi_safe_ratio('damage_free_orders', 'orders') }} as damage_free_rate,
    {{ kpi_safe_ratio('documentation_ok_orders', 'orders') }} as documentation_ok_rate,
    {{ kpi_safe_ratio('perfect_orders', 'orders') }} as perfect_order_rate,
    {{ kpi_safe_ratio('on_time_orders', 'orders') }} * {{ kpi_safe_ratio('in_full_orders', 'orders') }}
        * {{ kpi_safe_ratio('damage_free_orders', 'orders') }}
        * {{ kpi_safe_ratio('documentation_ok_orders', 'orders') }} as perfect_order_index,
    {{ kpi_safe_ratio('otif_orders', 'orders') }} as otif_rate,
    total_cycle_hours,
    {{ kpi_safe_ratio('total_cycle_hours', 'orders') }} as avg_cycle_hours,
    units_ordered,
    units_shipped,
    {{ kpi_safe_ratio('units_shipped', 'units_ordered') }} as fill_rate,
    backordered_orders,
    {{ kpi_safe_ratio('backordered_orders', 'orders') }} as backorder_rate,
    undelivered_orders
from monthly
