{#- Order lines of the order-management export with their status as of kpi_as_of(), one row per
    (transaction_id, line_number) with a placed event on or before that day: the CTEs
    `order_status_events` and `order_line_status` (open with `with`, continue with `,`). Events
    after the as-of day are ignored. The status comes from the line's unit balances, not from its
    last event (a first parcel delivered after its residual went on backorder leaves the line on
    backorder):
      cancelled    nothing delivered and every ordered unit cancelled;
      delivered    delivered + cancelled units cover the units ordered;
      backordered  backordered units neither shipped later nor cancelled remain;
      shipped      units on their way (shipped, not yet delivered): in transit;
      placed       nothing shipped yet.
    A backorder's residual "shipped later" = units of shipped events after the first backordered
    event. kpi_order_status and kpi_perfect_order (undelivered_orders) both read these rows. -#}
{% macro kpi_order_line_status() -%}
order_status_events as (

    select
        *,
        min(status_at) filter (where status = 'backordered')
            over (partition by transaction_id, line_number) as backordered_at
    from {{ ref('fct_order_status_events') }}
    where cast(status_at as date) <= {{ kpi_as_of() }}

),

order_line_balances as (

    select
        transaction_id,
        line_number,
        min(status_at) filter (where status = 'placed') as placed_at,
        coalesce(sum(quantity) filter (where status = 'placed'), 0) as units_ordered,
        coalesce(sum(quantity) filter (where status = 'shipped'), 0) as units_shipped,
        coalesce(sum(quantity) filter (where status = 'delivered'), 0) as units_delivered,
        coalesce(sum(quantity) filter (where status = 'cancelled'), 0) as units_cancelled,
        coalesce(sum(quantity) filter (where status = 'backordered'), 0) as units_backordered,
        coalesce(sum(quantity) filter (where status = 'shipped' and status_at > backordered_at), 0)
            as units_backorder_shipped,
        min(status_at) filter (where status = 'shipped' and status_at > backordered_at)
            as backorder_shipped_at,
        min(backordered_at) as backordered_at
    from order_status_events
    group by transaction_id, line_number

),

order_line_status as (

    select
        *,
        greatest(units_backordered - units_backorder_shipped - units_cancelled, 0) as units_backorder_open,
        case
            when units_delivered = 0 and units_cancelled >= units_ordered then 'cancelled'
            when units_delivered + units_cancelled >= units_ordered then 'delivered'
            when units_backordered > units_backorder_shipped + units_cancelled then 'backordered'
            when units_shipped > units_delivered then 'shipped'
            else 'placed'
        end as current_status,
        {{ days_between('cast(placed_at as date)', kpi_as_of()) }} as age_days
    from order_line_balances
    where placed_at is not null

)
{%- endmacro %}

{#- Age band of an order line from days since it was placed: 0_2_days, 3_6_days, 7_13_days,
    14_plus_days. -#}
{% macro kpi_order_age_band(age_days) -%}
    case
        when {{ age_days }} <= 2 then '0_2_days'
        when {{ age_days }} <= 6 then '3_6_days'
        when {{ age_days }} <= 13 then '7_13_days'
        else '14_plus_days'
    end
{%- endmacro %}
