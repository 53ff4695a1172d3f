-- One row per web event: latest load of each event_id, contact details normalized.
--
-- Incremental, unlike most staging models (tables): the web feed holds tens of millions of
-- events (30M+), and as a view every consumer would re-run the dedupe window over all of them;
-- as a table every run would rewrite them all. Each run processes only loads at or after the
-- newest one already staged and replaces those event_ids (delete+insert), so a re-sent or late
-- event still ends as its latest load: its newer load is always in the batch. Changing the
-- normalization logic needs `dbt build --full-refresh -s stg_web__events` to restate history.

{{
    config(
        materialized=incremental_materialization(),
        incremental_strategy='delete+insert',
        unique_key='event_id',
        on_schema_change='append_new_columns'
    )
}}

with source as (

    -- '>=' re-reads the newest staged load: loads committed in the same instant are not missed,
    -- and delete+insert makes re-processing them idempotent.
    {%- set new_loads -%}
    _loaded_at >= coalesce(
        (select timezone('UTC', max(loaded_at)) from {{ this }}), '-infinity'::timestamptz
    )
    {%- endset %}
    select * from {{ latest_load_rows(
        source('raw', 'web'), ['event_id'], where=new_loads if is_incremental() else none
    ) }}

),

renamed as (

    select
        -- ids
        event_id,
        {{ trim_to_null('anonymous_id') }} as anonymous_id,
        -- the feed's user_id is the web account id (ACC-...), customer_ref elsewhere
        {{ clean_ref('user_id') }} as account_id,

        -- event
        {{ clean_code('event_type') }} as event_type,
        {{ to_utc('occurred_at') }} as occurred_at,
        {{ trim_to_null('url') }} as url,
        {{ trim_to_null('referrer') }} as referrer,
        {{ clean_ref('product_sku') }} as product_sku,
        {{ clean_code('utm_source') }} as utm_source,
        {{ clean_code('utm_medium') }} as utm_medium,
        {{ clean_ref('utm_campaign') }} as utm_campaign,
        {{ clean_code('device_type') }} as device_type,
        {{ trim_to_null('locale') }} as locale,

        -- contact (form submissions and sign-ups)
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
