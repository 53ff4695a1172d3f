-- Grain: one row per POS sale line (transaction_id, line_number) from stores, the online shop
-- and phone orders; return lines are in fct_returns. The customer is the one identity
-- resolution gave the line's transaction; customer_sk is the customer's golden-record version
-- valid on the sale date. Fulfilment facts apply to shipped orders (promised_at set) and stay
-- null for till sales. Key: order_line_key.
--
-- Incremental (macros/core/incremental.sql): a run re-derives whole transactions, those with a
-- line loaded since the last build (new, late or corrected) and those of a customer whose key or
-- golden versions changed, and replaces them by transaction_id (delete+insert), so a transaction
-- is never half old, half new. Strategy measured against merge: docs/performance.md.

{{
    config(
        materialized=incremental_materialization(),
        incremental_strategy='delete+insert',
        unique_key='transaction_id',
        on_schema_change='append_new_columns'
    )
}}
{{ incremental_fact_depends_on() }}

with lines as (

    select * from {{ ref('stg_pos__transaction_lines') }}
    where not {{ pos_is_return_line() }}
    {%- if is_incremental() %}
        {%- set since = fact_watermark() %}
        and transaction_id in (
            select transaction_id from {{ ref('stg_pos__transaction_lines') }} where loaded_at > {{ since }}
            union
            select source_record_id from {{ source('core', 'customer_identity_map') }}
            where source_system = 'pos' and customer_key in {{ changed_customer_keys(since) }}
        )
    {%- endif %}

),

transaction_customers as (

    select source_record_id as transaction_id, customer_key
    from {{ source('core', 'customer_identity_map') }}
    where source_system = 'pos'

),

order_lines as (

    select
        lines.*,
        transaction_customers.customer_key,
        cast(lines.quantity * lines.unit_price as decimal(14, 2)) as gross_amount,
        cast(lines.quantity * lines.unit_cost as decimal(14, 2)) as cost_amount
    from lines
    left join transaction_customers on transaction_customers.transaction_id = lines.transaction_id

)

select
    {{ surrogate_key(['order_lines.transaction_id', 'order_lines.line_number']) }} as order_line_key,
    order_lines.transaction_id,
    order_lines.line_number,
    order_lines.transaction_at,
    {{ date_key('order_lines.transaction_at') }} as date_key,
    order_lines.customer_key,
    customer_version.customer_sk,
    {{ surrogate_key(['order_lines.sku']) }} as product_key,
    order_lines.sku,
    {{ surrogate_key(['order_lines.store_id']) }} as store_key,
    order_lines.store_id,
    {{ pos_channel_key('order_lines.channel', 'order_lines.store_id') }} as channel_key,
    order_lines.payment_type,
    order_lines.quantity,
    order_lines.unit_price,
    order_lines.gross_amount,
    order_lines.discount,
    order_lines.amount,
    order_lines.unit_cost,
    order_lines.cost_amount,
    cast(order_lines.amount - order_lines.cost_amount as decimal(14, 2)) as margin,
    order_lines.promised_at,
    order_lines.shipped_at,
    order_lines.delivered_at,
    order_lines.quantity_ordered,
    order_lines.quantity_shipped,
    order_lines.promised_at is not null as is_shipped_order,
    -- delivered by the promised time; null until delivered and for till sales
    case
        when order_lines.promised_at is not null and order_lines.delivered_at is not null
            then order_lines.delivered_at <= order_lines.promised_at
    end as on_time,
    case
        when order_lines.promised_at is not null
            then order_lines.quantity_shipped >= order_lines.quantity_ordered
    end as in_full,
    order_lines.documentation_ok,
    -- on time, in full and correctly documented (the perfect-order measure)
    case
        when order_lines.promised_at is not null and order_lines.delivered_at is not null
            then order_lines.delivered_at <= order_lines.promised_at
                and coalesce(order_lines.quantity_shipped >= order_lines.quantity_ordered, false)
                and coalesce(order_lines.documentation_ok, false)
    end as is_perfect_order,
    -- the other Rs of the perfect order, for shipped orders; null where the feed does not say
    -- (a company without the column measures them as unknown, never as perfect)
    case when order_lines.promised_at is not null then not order_lines.substituted end as right_product,
    case
        when order_lines.promised_at is not null then order_lines.delivery_postcode = order_lines.postcode
    end as right_place,
    case when order_lines.promised_at is not null then order_lines.signed_by_customer end as right_customer,
    case
        when order_lines.promised_at is not null then order_lines.unit_price = order_lines.quoted_unit_price
    end as right_cost,
    {{ round_double(seconds_between('order_lines.transaction_at', 'order_lines.shipped_at') ~ ' / 3600', 2) }}
        as order_to_ship_hours,
    {{ round_double(seconds_between('order_lines.shipped_at', 'order_lines.delivered_at') ~ ' / 3600', 2) }}
        as ship_to_delivery_hours,
    {{ round_double(seconds_between('order_lines.transaction_at', 'order_lines.delivered_at') ~ ' / 3600', 2) }}
        as order_cycle_hours,
    {{ fact_built_at() }} as _built_at
from order_lines
{{ join_customer_version('customer_version', 'order_lines.customer_key', 'order_lines.transaction_at') }}
