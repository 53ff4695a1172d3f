-- Grain: one row per touchpoint of a known customer with the firm, all channels in one table:
-- a web session, a purchase (POS transaction), a return (return transaction), a call-center
-- contact, a campaign message received (treatment cell only; the control cell got nothing) and
-- a campaign response. value: net purchase amount, refunds negative; null where no money moved.
-- Touchpoints without a customer (anonymous visits and sales) are left out. Key: touchpoint_key.
--
-- Incremental: the incremental facts it reads rewrite whole browsers, transactions and
-- interactions and stamp them with _built_at; a run takes the groups they rewrote since this
-- model's last build and replaces them (delete+insert on _source_group: a browser's sessions,
-- a transaction, an interaction), so a session that a late event merged away disappears. Such a
-- group is taken with its rows that lost their customer, to delete the old ones; the post-hook
-- drops them (and, once, the rows of a table built before _source_group existed, which the
-- first run re-derives whole). The campaign facts are tables rebuilt every run: their rows are
-- replaced whole.

{{
    config(
        materialized=incremental_materialization(),
        incremental_strategy='delete+insert',
        unique_key='_source_group',
        on_schema_change='append_new_columns',
        post_hook="{% if is_incremental() %}delete from {{ this }} where customer_key is null or _source_group is null{% endif %}"
    )
}}

{#- incremental: the rebuilt groups, with or without a customer; full: the known customers' rows #}
{%- set rebuilt = '_built_at > ' ~ fact_watermark() if is_incremental() else 'customer_key is not null' %}

with sessions as (

    select
        customer_key, session_started_at as touched_at, channel_key, 'web_session' as touchpoint_type,
        'web' as source_system, session_id as source_record_id, null as value,
        'web:' || anonymous_id as _source_group
    from {{ ref('fct_web_sessions') }}
    where {{ rebuilt }}

),

purchases as (

    select
        any_value(customer_key), min(transaction_at), {{ arg_min_of('channel_key', 'line_number') }},
        'purchase',
        'pos', transaction_id, sum(amount), 'purchase:' || transaction_id
    from {{ ref('fct_order_lines') }}
    where {{ rebuilt }}
    group by transaction_id

),

returns as (

    select
        any_value(customer_key), min(returned_at), {{ arg_min_of('channel_key', 'line_number') }}, 'return',
        'pos', transaction_id, -sum(refund_amount), 'return:' || transaction_id
    from {{ ref('fct_returns') }}
    where {{ rebuilt }}
    group by transaction_id

),

contacts as (

    select
        customer_key, started_at, channel_key, 'service_contact', 'callcenter', interaction_id, null,
        'callcenter:' || interaction_id
    from {{ ref('fct_interactions') }}
    where {{ rebuilt }}

),

campaign_messages as (

    select
        customer_key, launched_at, channel_key, 'campaign_sent', 'campaign_audience',
        campaign_id || '/' || account_id, null, 'campaign_audience'
    from {{ ref('fct_campaign_audience') }}
    where customer_key is not null and is_treatment

),

campaign_responses as (

    select
        customer_key, responded_at, channel_key, 'campaign_response', 'response_list', response_id, null,
        'response_list'
    from {{ ref('fct_campaign_responses') }}
    where customer_key is not null

),

touchpoints as (

    select * from sessions
    union all select * from purchases
    union all select * from returns
    union all select * from contacts
    union all select * from campaign_messages
    union all select * from campaign_responses

)

select
    {{ surrogate_key(['touchpoint_type', 'source_record_id']) }} as touchpoint_key,
    customer_key,
    touched_at,
    {{ date_key('touched_at') }} as date_key,
    channel_key,
    touchpoint_type,
    source_system,
    source_record_id,
    cast(value as decimal(14, 2)) as value,
    _source_group,
    {{ fact_built_at() }} as _built_at
from touchpoints
{#- a full build leaves out at once what the incremental post-hook deletes (Spark deletes no rows) #}
{%- if not is_incremental() %}
where customer_key is not null and _source_group is not null
{%- endif %}
