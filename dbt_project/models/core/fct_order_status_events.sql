-- Grain: one row per status event of an online or phone order line (transaction_id,
-- line_number, status, status_at) from the order-management export (pos_order_events): placed,
-- shipped, delivered, backordered, cancelled. event_sequence orders a line's events (time, then
-- placed < shipped < backordered < delivered < cancelled for events at the same second). The
-- customer is the one identity resolution gave the order's transaction in the pos feed (null
-- until the order's lines are exported there, and for anonymous orders). Key: order_event_key.

{#- nulls last spelled out: DuckDB's default for ascending orders, Spark's is nulls first #}
with events as (

    select * from {{ ref('stg_pos_order_events__events') }}

),

transaction_customers as (

    select source_record_id as transaction_id, customer_key
    from {{ source('core', 'customer_identity_map') }}
    where source_system = 'pos'

)

select
    {{ surrogate_key(['events.transaction_id', 'events.line_number', 'events.status', 'events.status_at']) }}
        as order_event_key,
    {{ surrogate_key(['events.transaction_id', 'events.line_number']) }} as order_line_key,
    events.transaction_id,
    events.line_number,
    transaction_customers.customer_key,
    events.status,
    events.status_at,
    {{ date_key('events.status_at') }} as date_key,
    events.quantity,
    events.carrier,
    events.tracking_number,
    -- bigint on both engines (Spark's row_number is an int)
    cast(row_number() over (
        partition by events.transaction_id, events.line_number
        order by
            events.status_at nulls last,
            case events.status
                when 'placed' then 1 when 'shipped' then 2 when 'backordered' then 3
                when 'delivered' then 4 when 'cancelled' then 5 else 6
            end
    ) as bigint) as event_sequence
from events
left join transaction_customers on transaction_customers.transaction_id = events.transaction_id
