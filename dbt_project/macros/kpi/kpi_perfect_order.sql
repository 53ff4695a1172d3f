{#- Shipped orders with their perfect-order components, one row per transaction_id: the CTEs
    `damaged_orders` and `perfect_order_orders` (open with `with`, continue with `,`). An order
    is a transaction whose lines are to be delivered (is_shipped_order); order_day = day of its
    first line (UTC). Components: on time = every line delivered by its promise; in full = every
    line shipped in full; damage free = no damaged return line points to it; documentation ok =
    every line's documentation_ok is true (unknown is not ok); right product / place / customer /
    cost = false when a line fails it, true when every line meets it, else null (unknown: some
    line does not say; fct_order_lines). is_delivered = every line has
    delivered_at: only delivered orders are measured. kpi_perfect_order (per month) and
    kpi_headline (per window) both aggregate these rows, so the rate has one definition. -#}
{% macro kpi_perfect_order_orders() -%}
damaged_orders as (

    select distinct original_transaction_id as transaction_id
    from {{ ref('fct_returns') }}
    where damaged and original_transaction_id is not null

),

perfect_order_orders as (

    select
        lines.transaction_id,
        min(lines.transaction_at)::date as order_day,
        count(lines.delivered_at) = count(*) as is_delivered,
        coalesce(bool_and(lines.on_time), false) as on_time,
        coalesce(bool_and(lines.in_full), false) as in_full,
        bool_and(coalesce(lines.documentation_ok, false)) as documentation_ok,
        max(damaged_orders.transaction_id) is null as damage_free,
        -- the other Rs: null = not measured, never perfect (macro kpi_order_criterion)
        {{ kpi_order_criterion('lines.right_product') }} as right_product,
        {{ kpi_order_criterion('lines.right_place') }} as right_place,
        {{ kpi_order_criterion('lines.right_customer') }} as right_customer,
        {{ kpi_order_criterion('lines.right_cost') }} as right_cost,
        sum(lines.quantity_ordered) as units_ordered,
        sum(lines.quantity_shipped) as units_shipped,
        coalesce(bool_or(lines.quantity_shipped < lines.quantity_ordered), false) as backordered,
        -- The order is complete when its last line arrives.
        max(lines.order_cycle_hours) as cycle_hours
    from {{ ref('fct_order_lines') }} as lines
    left join damaged_orders on damaged_orders.transaction_id = lines.transaction_id
    where lines.is_shipped_order
    group by lines.transaction_id

)
{%- endmacro %}

{#- True when a measured order meets all eight criteria, false when it fails a known one, null when
    none fails but one is unknown: count(*) filter (where ...) counts perfect orders, and
    `... is not null` the orders the eight criteria can judge. -#}
{% macro kpi_is_perfect_order_all_criteria() -%}
    ({{ kpi_is_perfect_order() }} and right_product and right_place and right_customer and right_cost)
{%- endmacro %}

{#- 1 when a measured order is perfect (all four components), for count(*) filter (where ...). -#}
{% macro kpi_is_perfect_order() -%}
    (is_delivered and on_time and in_full and damage_free and documentation_ok)
{%- endmacro %}

{#- An order's verdict on one line-level criterion: false when a line fails it, true when every
    line meets it, null when no line fails and some line does not say. -#}
{% macro kpi_order_criterion(line_column) -%}
    case
        when bool_or(not {{ line_column }}) then false
        when count({{ line_column }}) = count(*) then true
    end
{%- endmacro %}
