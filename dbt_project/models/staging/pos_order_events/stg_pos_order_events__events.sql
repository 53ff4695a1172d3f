-- One row per status event of an order line: latest load of each (transaction_id, line_number,
-- status, status_at). Renamed, typed and normalized only; the line's history is core's job.
--
-- Incremental like stg_pos__transaction_lines: an order line has several events a day, so the
-- feed grows faster than the sales; each run stages the loads at or after the newest one staged.

{{
    config(
        materialized=incremental_materialization(),
        incremental_strategy='delete+insert',
        unique_key=['transaction_id', 'line_number', 'status', 'status_at'],
        on_schema_change='append_new_columns'
    )
}}

with source as (

    -- '>=' and delete+insert: see stg_web__events
    {%- set new_loads -%}
    _loaded_at >= coalesce(
        (select timezone('UTC', max(loaded_at)) from {{ this }}), '-infinity'::timestamptz
    )
    {%- endset %}
    select * from {{ latest_load_rows(
        source('raw', 'pos_order_events'),
        ['transaction_id', 'line_number', clean_code('status'), 'status_at'],
        where=new_loads if is_incremental() else none
    ) }}

),

renamed as (

    select
        -- ids
        transaction_id,
        line_number,

        -- status
        {{ clean_code('status') }} as status,
        {{ to_utc('status_at') }} as status_at,
        quantity,
        {{ clean_ref('carrier') }} as carrier,
        {{ trim_to_null('tracking_number') }} as tracking_number,

        -- lineage
        {{ lineage_columns() }}

    from source

)

select * from renamed
