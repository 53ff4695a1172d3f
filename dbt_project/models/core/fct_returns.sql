-- Grain: one row per POS return line (transaction_id, line_number): goods brought or sent back,
-- with the reverse-logistics reason, whether they arrived damaged and the original sale.
-- Quantity and refund are positive here (the feed sends them negative). The customer is the
-- one identity resolution gave the return transaction, else the original sale's customer.
-- Key: return_line_key.
--
-- Incremental like fct_order_lines (whole return transactions, delete+insert by transaction_id):
-- a run re-derives returns loaded since the last build, returns whose original sale was loaded
-- since (a late or corrected sale changes original_transaction_at), and returns whose own or
-- original transaction belongs to a customer whose key or golden versions changed.

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

),

transaction_customers as (

    select source_record_id as transaction_id, customer_key
    from {{ source('core', 'customer_identity_map') }}
    where source_system = 'pos'

),

{%- if is_incremental() %}
-- transactions loaded since the last build, or of a customer whose facts may have changed
touched_transactions as (

    select transaction_id from lines where loaded_at > {{ fact_watermark() }}
    union
    select transaction_id from transaction_customers
    where customer_key in {{ changed_customer_keys(fact_watermark()) }}

),
{% endif %}

return_lines as (

    select * from lines where {{ pos_is_return_line() }}
    {%- if is_incremental() %}
        and (
            transaction_id in (select transaction_id from touched_transactions)
            or return_of_transaction_id in (select transaction_id from touched_transactions)
        )
    {%- endif %}

),

originals as (

    select transaction_id, min(transaction_at) as original_transaction_at
    from lines
    where not {{ pos_is_return_line() }}
        {%- if is_incremental() %}
        and transaction_id in (select return_of_transaction_id from return_lines)
        {%- endif %}
    group by transaction_id

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
    cast({{ days_between('returns.original_transaction_at', 'returns.transaction_at') }} as integer)
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
    returns.damaged,
    {{ fact_built_at() }} as _built_at
from returns
{{ join_customer_version('customer_version', 'returns.customer_key', 'returns.transaction_at') }}
