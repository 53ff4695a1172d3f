-- Grain: one row per web event (event_id), with its customer and session.
--
-- Customer: the identity map's customer for events that are contact records, else the
-- customer of the event's account, else (anonymous events) the customer of the account the
-- browser logged in as most recently before the event, or of its first login when the event
-- came before any (intermediate.int_web_anonymous_links). Null for browsers that never logged in.
-- Session: per browser (anonymous_id), a gap of more than 30 minutes between consecutive events
-- starts a new session; exactly 30 minutes does not. session_id is derived from the session's
-- first event (its event_id), so it stays the same while that first event does, and holds nothing
-- of the browser's cookie (an erasure replaces the cookie and leaves the id as a rebuild makes it).
--
-- Incremental by browser (macros/core/incremental.sql): a run re-derives every event of each
-- browser (anonymous_id) with an event loaded since the last build (a late event can merge or
-- split sessions around it, also across midnight), whose events were attributed to a customer
-- whose key changed, or whose login accounts now belong to such a customer, and replaces the
-- browser's rows wholesale (delete+insert on the non-unique anonymous_id). Re-sessionising the
-- browser's whole history keeps session_number right; an event corrected to another browser is
-- re-derived under both, and its old row dropped by the post-hook. Strategy: docs/performance.md.
--
-- Built per browser bucket (macro web_event_buckets: at most 5M events each, 10 at 1M customers),
-- unioned: every join and window here is per browser, and one sort over all 50M events cost 26%
-- more than ten of 5M.

{{
    config(
        materialized=incremental_materialization(),
        incremental_strategy='delete+insert',
        unique_key='anonymous_id',
        on_schema_change='append_new_columns',
        post_hook="{{ drop_moved_web_events() }}"
    )
}}
{{ incremental_fact_depends_on() }}

{#- nulls last spelled out: DuckDB's default for ascending orders, Spark's is nulls first #}
{%- set buckets = web_event_buckets() %}
{%- if is_incremental() %}
with changed_browsers as materialized (

    {{ changed_web_browsers(fact_watermark()) }}

)
{%- endif %}
{% for bucket in range(buckets) %}
{% if not loop.first %}union all{% endif %}
select * from (

with events as (

    select
        event_id, anonymous_id, account_id, event_type, occurred_at, url, referrer,
        product_sku, utm_source, utm_medium, utm_campaign, device_type, locale
    from {{ ref('stg_web__events') }}
    where true
    {% if buckets > 1 %}and {{ hash_bucket("anonymous_id", buckets) }} = {{ bucket }}{% endif %}
    {% if is_incremental() %}and anonymous_id in (select anonymous_id from changed_browsers){% endif %}

),

event_customers as (

    select source_record_id as event_id, customer_key
    from {{ source('core', 'customer_identity_map') }}
    where source_system = 'web'

),

accounts as (

    select account_id, customer_key from {{ ref('int_customer_account_keys') }}

),

browser_logins as (

    select
        links.anonymous_id,
        links.first_login_at,
        accounts.customer_key,
        row_number() over (
            partition by links.anonymous_id order by links.first_login_at nulls last, links.account_id
        ) as login_order
    from {{ ref('int_web_anonymous_links') }} as links
    inner join accounts on accounts.account_id = links.account_id
    where true
    {% if buckets > 1 %}and {{ hash_bucket("links.anonymous_id", buckets) }} = {{ bucket }}{% endif %}
    {% if is_incremental() %}and links.anonymous_id in (select anonymous_id from changed_browsers){% endif %}

),

resolved as (

    select
        events.*,
        coalesce(event_customers.customer_key, accounts.customer_key,
            last_login.customer_key, first_login.customer_key) as customer_key,
        case
            when event_customers.customer_key is not null then 'identity_map'
            when accounts.customer_key is not null then 'account'
            when coalesce(last_login.customer_key, first_login.customer_key) is not null then 'browser_login'
        end as customer_key_source
    from events
    left join event_customers on event_customers.event_id = events.event_id
    left join accounts on accounts.account_id = events.account_id
    {{ web_last_login_join('events', 'browser_logins') }}
    left join browser_logins as first_login
        on first_login.anonymous_id = events.anonymous_id
        and first_login.login_order = 1

),

session_starts as (

    select
        *,
        coalesce(
            occurred_at - lag(occurred_at) over (
                partition by anonymous_id order by occurred_at nulls last, event_id
            ) > interval 30 minute,
            true
        ) as is_session_start
    from resolved

),

sessionized as (

    select
        *,
        sum(cast(is_session_start as integer)) over browser_history as session_number,
        {{ arg_max_of(
            'case when is_session_start then event_id end', 'case when is_session_start then occurred_at end'
        ) }} over browser_history as session_first_event_id
    from session_starts
    window browser_history as (
        partition by anonymous_id order by occurred_at nulls last, event_id
        rows between unbounded preceding and current row
    )

)

select
    event_id,
    occurred_at,
    {{ date_key('occurred_at') }} as date_key,
    anonymous_id,
    account_id,
    customer_key,
    customer_key_source,
    {{ surrogate_key(['session_first_event_id']) }} as session_id,
    cast(session_number as integer) as session_number,
    event_type,
    url,
    referrer,
    product_sku,
    case when product_sku is not null then {{ surrogate_key(['product_sku']) }} end as product_key,
    utm_source,
    utm_medium,
    utm_campaign,
    case when utm_campaign is not null then {{ surrogate_key(['utm_campaign']) }} end as campaign_key,
    device_type,
    locale,
    {{ fact_built_at() }} as _built_at
from sessionized
)
{% endfor %}
