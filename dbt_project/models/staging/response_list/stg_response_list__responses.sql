-- One row per campaign response: latest load of each response_id, contact details normalized.

with source as (

    select * from {{ latest_load_rows(source('raw', 'response_list'), ['response_id']) }}

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
        {{ contact_columns() }}

        -- lineage
        {{ lineage_columns() }}

    from source

),

normalized as (

    -- phone and postcode rules depend on the record's ISO-2 country, computed above
    {{ replace_columns('renamed', normalize_contact_columns()) }}

)

select * from normalized
