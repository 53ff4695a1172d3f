-- Store dimension: one row per POS store id, the physical stores and the two remote "stores"
-- the POS feed uses for orders (ONLINE, PHONE), with the sales channel they sell through.
-- Key: store_key.

with lines as (

    select store_id, channel, transaction_at
    from {{ ref('stg_pos__transaction_lines') }}
    where store_id is not null

),

stores as (

    select
        store_id,
        -- a store sells through one channel; the most frequent wins should the feed disagree
        {{ arg_max_of('channel', order_key(['lines_in_channel', 'channel'])) }} as store_channel,
        min(first_transaction_at) as first_transaction_at,
        max(last_transaction_at) as last_transaction_at
    from (
        select
            store_id,
            channel,
            count(*) as lines_in_channel,
            min(transaction_at) as first_transaction_at,
            max(transaction_at) as last_transaction_at
        from lines
        group by store_id, channel
    )
    group by store_id

)

select
    {{ surrogate_key(['store_id']) }} as store_key,
    store_id,
    store_channel,
    {{ pos_channel_key('store_channel', 'store_id') }} as channel_key,
    coalesce(store_channel = 'store', false) as is_physical_store,
    first_transaction_at,
    last_transaction_at
from stores
