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

{#- Each source summed per window by a join on the window's days: Spark fails on correlated
    scalar subqueries with range predicates. name: [relation, its day, aggregates]. -#}
{%- set sources = {
    'sales': [ref('fct_order_lines'), 'cast(src.transaction_at as date)', [
        'sum(src.amount) as revenue', 'count(distinct src.transaction_id) as orders',
        'count(distinct src.customer_key) as active_customers']],
    'refunds': [ref('fct_returns'), 'cast(src.returned_at as date)', ['sum(src.refund_amount) as refunds']],
    'acquired': [ref('customer_acquisition'), 'src.acquired_on', ['count(*) as new_customers']],
    'perfect': ['perfect_order_orders', 'src.order_day', [
        'count(*) filter (where src.is_delivered) as measured_orders',
        'count(*) filter (where ' ~ kpi_is_perfect_order() ~ ') as perfect_orders']],
    'service': [ref('kpi_service_level_daily'), 'src.date_day', [
        'sum(src.offered) as sl_offered', 'sum(src.answered_within_sl) as sl_answered_within']],
    'contacts': [ref('kpi_call_center_daily'), 'src.date_day', [
        'sum(src.nps_responses) as nps_responses', 'sum(src.promoters) as promoters',
        'sum(src.detractors) as detractors']],
} %}
{%- for name, source in sources.items() %}

{{ name }} as (

    select windows.window_name, {{ source[2] | join(', ') }}
    from windows
    inner join {{ source[0] }} as src on {{ source[1] }} between windows.window_start and windows.window_end
    group by windows.window_name

),
{%- endfor %}

figures as (

    select
        windows.window_name,
        windows.window_start,
        windows.window_end,
        -- Net revenue: sales lines minus refunds of returns, each dated on its own day.
        coalesce(sales.revenue, 0) - coalesce(refunds.refunds, 0) as net_revenue,
        coalesce(sales.orders, 0) as orders,
        coalesce(sales.active_customers, 0) as active_customers,
        coalesce(acquired.new_customers, 0) as new_customers,
        windows.window_start < (select any_value(warm_up_end) from {{ ref('customer_acquisition') }})
            as new_customers_in_warm_up,
        coalesce(perfect.measured_orders, 0) as measured_orders,
        coalesce(perfect.perfect_orders, 0) as perfect_orders,
        coalesce(service.sl_offered, 0) as sl_offered,
        coalesce(service.sl_answered_within, 0) as sl_answered_within,
        coalesce(contacts.nps_responses, 0) as nps_responses,
        coalesce(contacts.promoters, 0) as promoters,
        coalesce(contacts.detractors, 0) as detractors
    from windows
    {%- for part in ['sales', 'refunds', 'acquired', 'perfect', 'service', 'contacts'] %}
    left join {{ part }} on {{ part }}.window_name = windows.window_name
    {%- endfor %}

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
