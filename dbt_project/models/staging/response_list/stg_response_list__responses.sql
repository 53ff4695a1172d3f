-- One row per campaign response: latest load of each response_id, contact details normalized.

with source as (

    select * from {{ source('raw', 'response_list') }}
    {{ latest_load(['response_id']) }}

),

renamed as (

    select
        -- ids
        response_id,
        {{ clean_ref('campaign_id') }} as campaign_id,

        -- response
        {{ to_utc('responded_at') }} as responded_at,
        {{ clean_code('response_channel') }} as response_channel,

        -- consent given with the response; null = not asked, not a refusal
        consent_email,
        consent_sms,
        consent_phone,
        consent_mail,

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
