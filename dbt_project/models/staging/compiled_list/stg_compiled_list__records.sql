-- One row per bought list record: latest load of each record_id, contact details normalized.
-- These people gave no consent; the record only helps to recognise and enrich customers.

with source as (

    select * from {{ source('raw', 'compiled_list') }}
    {{ latest_load(['record_id']) }}

),

renamed as (

    select
        -- ids
        record_id,
        {{ clean_code('vendor') }} as vendor,
        {{ clean_ref('list_id') }} as list_id,

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
