-- Headline figures of the dashboard for two windows of var('headline_window_days') days:
-- 'current' ends on kpi_as_of(), 'previous' is the same number of days before it. Grain: one
-- row per window. Every rate reuses its mart's definition: perfect order from macro
-- kpi_perfect_order_orders (kpi_perfect_order), service level from kpi_service_level_daily,
-- NPS from kpi_call_center_daily's counts, new customers from customer_acquisition. Days are
-- UTC calendar days of each event's own timestamp. Key: window_name.

with bounds as (

    select {{ kpi_as_of() }} as as_of, {{ var('headline_window_days') }} as days

),

windows as (

    select 'current' as window_name, as_of - (days - 1) as window_start, as_of as window_end
    from bounds
    union all
    select 'previous', as_of - (2 * days - 1), as_of - days
    from bounds

),

{{ kpi_perfect_order_orders() }},

acquisition as (

    select * from {{ ref('customer_acquisition') }}

),

service as (

    select * from {{ ref('kpi_service_level_daily') }}

),

contacts as (

    select * from {{ ref('kpi_call_center_daily') }}

),

figures as (

    select
        windows.window_name,
        windows.window_start,
        windows.window_end,
        -- Net revenue: sales lines minus refunds of returns, each dated on its own day.
        (select coalesce(sum(amount), 0) from {{ ref('fct_order_lines') }}
            where cast(transaction_at as date) between windows.window_start and windows.window_end)
        - (select coalesce(sum(refund_amount), 0) from {{ ref('fct_returns') }}
            where cast(returned_at as date) between windows.window_start and windows.window_end)
            as net_revenue,
        (select count(distinct transaction_id) from {{ ref('fct_order_lines') }}
            where cast(transaction_at as date) between windows.window_start and windows.window_end)
            as orders,
        (select count(distinct customer_key) from {{ ref('fct_order_lines') }}
            where cast(transaction_at as date) between windows.window_start and windows.window_end)
            as active_customers,
        (select count(*) from acquisition
            where acquired_on between windows.window_start and windows.window_end) as new_customers,
        windows.window_start < (select any_value(warm_up_end) from acquisition) as new_customers_in_warm_up,
        (select count(*) filter (where is_delivered) from perfect_order_orders
            where order_day between windows.window_start and windows.window_end) as measured_orders,
        (select count(*) filter (where {{ kpi_is_perfect_order() }}) from perfect_order_orders
            where order_day between windows.window_start and windows.window_end) as perfect_orders,
        (select coalesce(sum(offered), 0) from service
            where date_day between windows.window_start and windows.window_end) as sl_offered,
        (select coalesce(sum(answered_within_sl), 0) from service
            where date_day between windows.window_start and windows.window_end) as sl_answered_within,
        (select coalesce(sum(nps_responses), 0) from contacts
            where date_day between windows.window_start and windows.window_end) as nps_responses,
        (select coalesce(sum(promoters), 0) from contacts
            where date_day between windows.window_start and windows.window_end) as promoters,
        (select coalesce(sum(detractors), 0) from contacts
            where date_day between windows.window_start and windows.window_end) as detractors
    from windows

)

select
    window_name,
    window_start,
    window_end,
    cast(net_revenue as decimal(18, 2)) as net_revenue,
    cast(orders as bigint) as orders,
    cast(active_customers as bigint) as active_customers,
    cast(new_customers as bigint) as new_customers,
    coalesce(new_customers_in_warm_up, false) as new_customers_in_warm_up,
    cast(measured_orders as bigint) as measured_orders,
    cast(perfect_orders as bigint) as perfect_orders,
    {{ kpi_safe_ratio('perfect_orders', 'measured_orders') }} as perfect_order_rate,
    cast(sl_offered as bigint) as sl_offered,
    cast(sl_answered_within as bigint) as sl_answered_within,
    {{ kpi_safe_ratio('sl_answered_within', 'sl_offered') }} as service_level,
    cast(nps_responses as bigint) as nps_responses,
    {{ kpi_nps_from_counts('promoters', 'detractors', 'nps_responses') }} as nps
from figures
