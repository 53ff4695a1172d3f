-- One row per bought list record: latest load of each record_id, contact details normalized.
-- These people gave no consent; the record only helps to recognise and enrich customers.

with source as (

    select * from {{ latest_load_rows(source('raw', 'compiled_list'), ['record_id']) }}

),

renamed as (

    select
        -- ids
        record_id,
        {{ clean_code('vendor') }} as vendor,
        {{ clean_ref('list_id') }} as list_id,

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
