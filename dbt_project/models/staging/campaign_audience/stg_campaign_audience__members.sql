-- One row per (campaign, targeted account): latest load, with the cell it was assigned to.

with source as (

    -- deduped on the cleaned key, so 'acc-000123' and 'ACC-000123' count as one member
    select * from {{ latest_load_rows(
        source('raw', 'campaign_audience'), [clean_ref('campaign_id'), clean_ref('customer_ref')]
    ) }}

),

renamed as (

    select
        -- ids
        {{ clean_ref('campaign_id') }} as campaign_id,
        -- the contract's customer_ref is always an account id (ACC-...)
        {{ clean_ref('customer_ref') }} as account_id,

        -- campaign
        {{ trim_to_null('campaign_name') }} as campaign_name,
        {{ clean_code('campaign_channel') }} as campaign_channel,
        {{ to_utc('launched_at') }} as launched_at,
        {{ clean_code('cell') }} as cell,
        campaign_cost,

        -- lineage
        {{ lineage_columns() }}

    from source

)

select * from renamed
