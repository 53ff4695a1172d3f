-- One row per POS transaction line: latest load of each (transaction_id, line_number).

with source as (

    select * from {{ source('raw', 'pos') }}
    {{ latest_load(['transaction_id', 'line_number']) }}

),

renamed as (

    select
        -- ids
        transaction_id,
        line_number,
        {{ clean_ref('store_id') }} as store_id,
        {{ clean_ref('customer_ref') }} as customer_ref,
        {{ account_id_from_ref('customer_ref') }} as account_id,
        {{ loyalty_card_from_ref('customer_ref') }} as loyalty_card,
        {{ trim_to_null('return_of_transaction_id') }} as return_of_transaction_id,

        -- sale
        {{ to_utc('transaction_at') }} as transaction_at,
        {{ clean_code('channel') }} as channel,
        {{ clean_code('payment_type') }} as payment_type,
        {{ clean_ref('sku') }} as sku,
        {{ trim_to_null('product_name') }} as product_name,
        {{ clean_code('category') }} as category,
        quantity,
        unit_price,
        unit_cost,
        discount,
        amount,

        -- fulfilment
        {{ to_utc('promised_at') }} as promised_at,
        {{ to_utc('shipped_at') }} as shipped_at,
        {{ to_utc('delivered_at') }} as delivered_at,
        quantity_ordered,
        quantity_shipped,
        documentation_ok,

        -- returns
        {{ clean_code('return_reason') }} as return_reason,
        damaged,

        -- contact (given at the till or on the order)
        {{ proper_case('first_name') }} as first_name,
        {{ proper_case('last_name') }} as last_name,
        {{ normalize_email('email') }} as email,
        {{ email_canonical(normalize_email('email')) }} as email_canonical,
        phone,
        {{ clean_text('address_line1') }} as address_line1,
        {{ clean_text('address_line2') }} as address_line2,
        {{ proper_case('city') }} as city,
        postcode,
        {{ proper_case('region') }} as region,
        {{ country_iso2('country') }} as country,
        date_of_birth,

        -- lineage
        _load_id as load_id,
        _source_file as source_file,
        _source_line as source_line,
        {{ to_utc('_loaded_at') }} as loaded_at

    from source

),

normalized as (

    -- phone and postcode rules depend on the record's ISO-2 country, computed above
    select * replace (
        {{ normalize_phone('phone', 'country') }} as phone,
        {{ normalize_postcode('postcode', 'country') }} as postcode
    )
    from renamed

)

select * from normalized
