-- One row per call-center interaction: latest load of each interaction_id, contact details normalized.

with source as (

    select * from {{ source('raw', 'callcenter') }}
    {{ latest_load(['interaction_id']) }}

),

renamed as (

    select
        -- ids
        interaction_id,
        {{ trim_to_null('agent_id') }} as agent_id,
        {{ clean_ref('customer_ref') }} as customer_ref,
        {{ account_id_from_ref('customer_ref') }} as account_id,
        {{ loyalty_card_from_ref('customer_ref') }} as loyalty_card,
        {{ trim_to_null('order_ref') }} as order_ref,

        -- interaction
        {{ clean_code('channel') }} as channel,
        {{ clean_code('direction') }} as direction,
        {{ clean_code('queue') }} as queue,
        {{ clean_code('reason') }} as reason,
        {{ clean_code('outcome') }} as outcome,
        abandoned,
        resolved,
        hold_seconds,
        wrap_seconds,
        csat,
        nps,

        -- timestamps (UTC)
        {{ to_utc('started_at') }} as started_at,
        {{ to_utc('answered_at') }} as answered_at,
        {{ to_utc('ended_at') }} as ended_at,

        -- contact
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
