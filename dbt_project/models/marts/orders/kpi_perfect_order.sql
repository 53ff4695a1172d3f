-- Perfect order per month of order: on time, in full, damage free and correctly documented, as
-- components and combined, with OTIF, cycle time, fill rate and backorders (_orders__models.yml).
with damaged_orders as (

    select distinct original_transaction_id as transaction_id
    from {{ ref('fct_returns') }}
    where damaged and original_transaction_id is not null

),

orders as (

    select
        lines.transaction_id,
        date_trunc('month', min(lines.transaction_at))::date as month,
        count(lines.delivered_at) = count(*) as is_delivered,
        coalesce(bool_and(lines.on_time), false) as on_time,
        coalesce(bool_and(lines.in_full), false) as in_full,
        -- Unknown documentation is not proven correct.
        bool_and(coalesce(lines.documentation_ok, false)) as documentation_ok,
        max(damaged_orders.transaction_id) is null as damage_free,
        sum(lines.quantity_ordered) as units_ordered,
        sum(lines.quantity_shipped) as units_shipped,
        coalesce(bool_or(lines.quantity_shipped < lines.quantity_ordered), false) as backordered,
        -- The order is complete when its last line arrives.
        max(lines.order_cycle_hours) as cycle_hours
    from {{ ref('fct_order_lines') }} as lines
    left join damaged_orders on damaged_orders.transaction_id = lines.transaction_id
    where lines.is_shipped_order
    group by lines.transaction_id

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
        count(*) filter (where is_delivered and on_time and in_full and damage_free and documentation_ok)
            as perfect_orders,
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
