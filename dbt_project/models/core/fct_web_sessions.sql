-- Grain: one row per web session (session_id): a browser's events without a gap of more than
-- 30 minutes (sessionized in fct_web_events). Traffic source = utm tags of the session's first
-- event; converted = the session reached checkout. The customer is the last one known among
-- the session's events. Key: session_id.
--
-- Incremental by browser, like fct_web_events: a run re-aggregates every browser whose events
-- fct_web_events rewrote since this model's last build (it rewrites browsers whole) and
-- replaces the browser's sessions (delete+insert on anonymous_id), so sessions that a late event
-- merged or re-started disappear with their browser's old rows.

{{
    config(
        materialized=incremental_materialization(),
        incremental_strategy='delete+insert',
        unique_key='anonymous_id',
        on_schema_change='append_new_columns'
    )
}}

with events as (

    select
        *,
        -- event order within the session, for first / last values
        {{ order_key(['occurred_at', 'event_id']) }} as event_order
    from {{ ref('fct_web_events') }}
    {%- if is_incremental() %}
    where anonymous_id in (
        select anonymous_id from {{ ref('fct_web_events') }} where _built_at > {{ fact_watermark() }}
    )
    {%- endif %}

),

sessions as (

    select
        session_id,
        any_value(anonymous_id) as anonymous_id,
        any_value(session_number) as session_number,
        {{ arg_max_of('customer_key', 'event_order') }} filter (where customer_key is not null)
            as customer_key,
        min(occurred_at) as session_started_at,
        max(occurred_at) as session_ended_at,
        count(*) as events,
        count(*) filter (where event_type = 'page_view') as page_views,
        count(*) filter (where event_type = 'product_view') as product_views,
        count(*) filter (where event_type = 'search') as searches,
        count(*) filter (where event_type = 'add_to_cart') as add_to_carts,
        count(*) filter (where event_type = 'checkout') as checkouts,
        bool_or(account_id is not null) as is_logged_in,
        -- a struct is never null, so the first event's tags are taken even when empty
        {{ arg_min_of(struct_of(['url', 'referrer', 'utm_source', 'utm_medium', 'utm_campaign']), 'event_order') }}
            as first_event
    from events
    group by session_id

)

select
    session_id,
    anonymous_id,
    session_number,
    customer_key,
    session_started_at,
    session_ended_at,
    {{ date_key('session_started_at') }} as date_key,
    -- rounded, not cast: a cast to integer rounds on DuckDB and truncates on Spark
    cast(round({{ seconds_between("session_started_at", "session_ended_at") }}) as integer) as duration_seconds,
    cast(events as integer) as events,
    cast(page_views as integer) as page_views,
    cast(product_views as integer) as product_views,
    cast(searches as integer) as searches,
    cast(add_to_carts as integer) as add_to_carts,
    cast(checkouts as integer) as checkouts,
    checkouts > 0 as converted,
    is_logged_in,
    first_event.url as landing_url,
    first_event.referrer as referrer,
    first_event.utm_source as utm_source,
    first_event.utm_medium as utm_medium,
    first_event.utm_campaign as utm_campaign,
    case when first_event.utm_campaign is not null then {{ surrogate_key(['first_event.utm_campaign']) }} end
        as campaign_key,
    'web' as channel_key,
    {{ fact_built_at() }} as _built_at
from sessions
