-- Grain: one row per POS return line (transaction_id, line_number): goods brought or sent back,
-- with the reverse-logistics reason, whether they arrived damaged and the original sale.
-- Quantity and refund are positive here (the feed sends them negative). The customer is the
-- one identity resolution gave the return transaction, else the original sale's customer.
-- Key: return_line_key.

with lines as (

    select * from {{ ref('stg_pos__transaction_lines') }}

),

return_lines as (

    select * from lines where {{ pos_is_return_line() }}

),

originals as (

    select transaction_id, min(transaction_at) as original_transaction_at
    from lines
    where not {{ pos_is_return_line() }}
    group by transaction_id

),

transaction_customers as (

    select source_record_id as transaction_id, customer_key
    from {{ source('core', 'customer_identity_map') }}
    where source_system = 'pos'

),

returns as (

    select
        return_lines.*,
        originals.original_transaction_at,
        coalesce(return_customer.customer_key, original_customer.customer_key) as customer_key
    from return_lines
    left join originals on originals.transaction_id = return_lines.return_of_transaction_id
    left join transaction_customers as return_customer
        on return_customer.transaction_id = return_lines.transaction_id
    left join transaction_customers as original_customer
        on original_customer.transaction_id = return_lines.return_of_transaction_id

)

select
    {{ surrogate_key(['returns.transaction_id', 'returns.line_number']) }} as return_line_key,
    returns.transaction_id,
    returns.line_number,
    returns.transaction_at as returned_at,
    {{ date_key('returns.transaction_at') }} as date_key,
    returns.return_of_transaction_id as original_transaction_id,
    returns.original_transaction_at,
    cast(date_diff('day', returns.original_transaction_at, returns.transaction_at) as integer)
        as days_since_purchase,
    returns.customer_key,
    customer_version.customer_sk,
    {{ surrogate_key(['returns.sku']) }} as product_key,
    returns.sku,
    {{ surrogate_key(['returns.store_id']) }} as store_key,
    returns.store_id,
    {{ pos_channel_key('returns.channel', 'returns.store_id') }} as channel_key,
    cast(-returns.quantity as integer) as quantity_returned,
    returns.unit_price,
    cast(-returns.amount as decimal(12, 2)) as refund_amount,
    returns.return_reason,
    returns.damaged
from returns
{{ join_customer_version('customer_version', 'returns.customer_key', 'returns.transaction_at') }}
