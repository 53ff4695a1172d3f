-- One row per call-center interaction: latest load of each interaction_id, contact details normalized.
--
-- Incremental like stg_pos__transaction_lines, so that fct_interactions, incremental too, can
-- take only the interactions loaded since its last build (loaded_at) without this model
-- restating every interaction each run: loads at or after the newest one staged replace their
-- interaction_ids (delete+insert), and so do interactions staged under other customer_ref patterns.

{{
    config(
        materialized=incremental_materialization(),
        incremental_strategy='delete+insert',
        unique_key='interaction_id',
        on_schema_change='append_new_columns'
    )
}}

with source as (

    -- '>=' and delete+insert: see stg_web__events
    {%- set new_loads -%}
    _loaded_at >= coalesce(
        (select timezone('UTC', max(loaded_at)) from {{ this }}), '-infinity'::timestamptz
    )
    {%- if is_incremental() %}
    -- restaged from all their loads when the customer_ref patterns classify them otherwise
    or interaction_id in (
        select interaction_id from {{ this }}
        where {{ customer_ref_outdated('customer_ref', 'callcenter', this) }}
    )
    {%- endif %}
    {%- endset %}
    select * from {{ latest_load_rows(
        source('raw', 'callcenter'), ['interaction_id'], where=new_loads if is_incremental() else none
    ) }}

),

renamed as (

    select
        -- ids
        interaction_id,
        {{ trim_to_null('agent_id') }} as agent_id,
        {{ clean_ref('customer_ref') }} as customer_ref,
        {{ account_id_from_ref('customer_ref', 'callcenter') }} as account_id,
        {{ loyalty_card_from_ref('customer_ref', 'callcenter') }} as loyalty_card,
        {{ local_ref_from_ref('customer_ref', 'callcenter') }} as local_ref,
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
