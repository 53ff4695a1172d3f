-- Grain: one row per web session (fct_web_events.session_id) with at least one self-service page
-- view (macro self_service_topic: order_status, shipping, account, faq). topic = the topic of the
-- session's first self-service page; self_service_at = that page's time (the start of the
-- deflection window in marts.kpi_self_service). customer_key = the last customer known among the
-- session's events (as fct_web_sessions), null for anonymous sessions. device_type = the first
-- event's (null when not detected). Key: session_id.

with events as (

    select
        session_id,
        customer_key,
        device_type,
        {{ order_key(['occurred_at', 'event_id']) }} as event_order,
        occurred_at,
        case when event_type = 'page_view' then {{ self_service_topic('url') }} end as topic
    from {{ ref('fct_web_events') }}

)

select
    session_id,
    {{ arg_max_of('customer_key', 'event_order') }} filter (where customer_key is not null) as customer_key,
    cast(min(occurred_at) as date) as session_date,
    {{ arg_min_of('device_type', 'event_order') }} as device_type,
    {{ arg_min_of('topic', 'event_order') }} filter (where topic is not null) as topic,
    min(occurred_at) filter (where topic is not null) as self_service_at,
    cast(count(*) filter (where topic is not null) as integer) as self_service_pages
from events
group by session_id
having count(*) filter (where topic is not null) > 0
