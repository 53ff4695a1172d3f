-- Self-service on the web and the service contacts it saves. Grain: one row per session_date,
-- channel ('web'), device_type ('unknown' when not detected) and topic, over the self-service
-- sessions of intermediate.int_web_self_service_sessions up to kpi_as_of(). A session is followed
-- by a contact when its customer starts an inbound service contact (core.fct_interactions,
-- direction inbound, any queue but telesales: orders are not service) after the session's first
-- self-service page and at most var('self_service_deflection_days') days after it, on or before
-- kpi_as_of(). contacts_deflected = identified sessions not followed by a contact. Anonymous
-- sessions (no customer known) cannot be followed to a contact: they count in
-- self_service_sessions and anonymous_sessions only, never as deflected or followed.
-- deflection_window_closed: every session of the day has its whole window on or before
-- kpi_as_of() (later days may still gain contacts). Key: session_date, channel, device_type, topic.

with sessions as (

    select * from {{ ref('int_web_self_service_sessions') }}
    where session_date <= {{ kpi_as_of() }}

),

service_contacts as (

    select customer_key, started_at
    from {{ ref('fct_interactions') }}
    where direction = 'inbound'
        and queue <> 'telesales'
        and customer_key is not null
        and cast(started_at as date) <= {{ kpi_as_of() }}

),

followed as (

    select distinct sessions.session_id
    from sessions
    inner join service_contacts
        on service_contacts.customer_key = sessions.customer_key
        and service_contacts.started_at > sessions.self_service_at
        and service_contacts.started_at
            <= {{ timestamp_add_days('sessions.self_service_at', var('self_service_deflection_days')) }}

),

flagged as (

    select
        sessions.*,
        followed.session_id is not null as is_followed
    from sessions
    left join followed on followed.session_id = sessions.session_id

)

select
    session_date,
    'web' as channel,
    coalesce(device_type, 'unknown') as device_type,
    topic,
    cast(count(*) as integer) as self_service_sessions,
    cast(count(*) filter (where customer_key is null) as integer) as anonymous_sessions,
    cast(count(*) filter (where customer_key is not null) as integer) as identified_sessions,
    cast(count(distinct customer_key) as integer) as customers,
    cast(count(*) filter (where is_followed) as integer) as sessions_followed_by_contact,
    cast(count(*) filter (where customer_key is not null and not is_followed) as integer)
        as contacts_deflected,
    {{ kpi_safe_ratio(
        'count(*) filter (where customer_key is not null and not is_followed)',
        'count(*) filter (where customer_key is not null)'
    ) }} as deflection_rate,
    {{ timestamp_add_days('session_date', var('self_service_deflection_days')) }} <= {{ kpi_as_of() }}
        as deflection_window_closed
from flagged
group by session_date, coalesce(device_type, 'unknown'), topic
