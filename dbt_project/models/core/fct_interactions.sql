-- Grain: one row per call-center interaction (interaction_id): phone calls, chats and e-mails,
-- with the service-level timings. wait = answered - started; talk = ended - answered minus
-- hold; handle = talk + hold + wrap (after-contact work). Timings are null when the contact
-- was never answered. The customer is the one identity resolution gave the interaction, else
-- the customer of the transaction it is about (order_ref). Key: interaction_id.
--
-- Incremental (macros/core/incremental.sql, delete+insert by interaction_id): a run re-derives
-- interactions loaded since the last build and those whose own record or order belongs to a
-- customer whose key or golden versions changed.

{{
    config(
        materialized=incremental_materialization(),
        incremental_strategy='delete+insert',
        unique_key='interaction_id',
        on_schema_change='append_new_columns'
    )
}}
{{ incremental_fact_depends_on() }}

with identity_map as (

    select source_system, source_record_id, customer_key
    from {{ source('core', 'customer_identity_map') }}
    where source_system in ('callcenter', 'pos')

),
{%- if is_incremental() %}

changed_records as (

    select source_record_id from identity_map
    where customer_key in {{ changed_customer_keys(fact_watermark()) }}

),
{%- endif %}

interactions as (

    select * from {{ ref('stg_callcenter__interactions') }}
    {%- if is_incremental() %}
    where loaded_at > {{ fact_watermark() }}
        or interaction_id in (select source_record_id from changed_records)
        or order_ref in (select source_record_id from changed_records)
    {%- endif %}

),

resolved as (

    select
        interactions.*,
        coalesce(own.customer_key, about_order.customer_key) as customer_key,
        {{ seconds_between('interactions.started_at', 'interactions.answered_at') }} as wait_epoch,
        case when interactions.answered_at is not null then greatest(
            {{ seconds_between('interactions.answered_at', 'interactions.ended_at') }}
                - coalesce(interactions.hold_seconds, 0),
            0
        ) end as talk_epoch
    from interactions
    left join identity_map as own
        on own.source_system = 'callcenter' and own.source_record_id = interactions.interaction_id
    left join identity_map as about_order
        on about_order.source_system = 'pos' and about_order.source_record_id = interactions.order_ref

)

select
    resolved.interaction_id,
    resolved.started_at,
    {{ date_key('resolved.started_at') }} as date_key,
    resolved.customer_key,
    customer_version.customer_sk,
    case when resolved.agent_id is not null then {{ surrogate_key(['resolved.agent_id']) }} end as agent_key,
    resolved.agent_id,
    {{ callcenter_channel_key('resolved.channel') }} as channel_key,
    resolved.channel,
    resolved.direction,
    resolved.queue,
    resolved.reason,
    resolved.outcome,
    resolved.order_ref,
    resolved.answered_at,
    resolved.ended_at,
    cast(resolved.wait_epoch as integer) as wait_seconds,
    cast(resolved.talk_epoch as integer) as talk_seconds,
    case when resolved.answered_at is not null then resolved.hold_seconds end as hold_seconds,
    case when resolved.answered_at is not null then resolved.wrap_seconds end as wrap_seconds,
    cast(
        resolved.talk_epoch + coalesce(resolved.hold_seconds, 0) + coalesce(resolved.wrap_seconds, 0)
        as integer
    ) as handle_seconds,
    resolved.abandoned,
    resolved.resolved,
    resolved.csat,
    resolved.nps,
    {{ fact_built_at() }} as _built_at
from resolved
{{ join_customer_version('customer_version', 'resolved.customer_key', 'resolved.started_at') }}
