-- One row per customer key with its activity totals across the facts: orders, returns, web
-- sessions, call-center interactions, campaigns received / held out and campaign responses.
-- Feeds marts.customer_360. Customers without any activity have no row. Key: customer_key.

with orders as (

    select
        customer_key,
        count(distinct transaction_id) as orders,
        sum(amount) as order_value,
        sum(margin) as order_margin,
        min(transaction_at) as first_order_at,
        max(transaction_at) as last_order_at
    from {{ ref('fct_order_lines') }}
    group by customer_key

),

returns as (

    select customer_key, count(distinct transaction_id) as returns, sum(refund_amount) as return_value
    from {{ ref('fct_returns') }}
    group by customer_key

),

sessions as (

    select
        customer_key,
        count(*) as web_sessions,
        count(*) filter (where converted) as converted_web_sessions,
        max(session_started_at) as last_web_session_at
    from {{ ref('fct_web_sessions') }}
    group by customer_key

),

interactions as (

    select
        customer_key,
        count(*) as interactions,
        count(*) filter (where abandoned) as abandoned_interactions,
        avg(csat) as avg_csat,
        {{ arg_max_of('nps', order_key(['started_at', 'interaction_id'])) }} filter (where nps is not null) as last_nps
    from {{ ref('fct_interactions') }}
    group by customer_key

),

campaigns as (

    select
        customer_key,
        count(distinct campaign_id) filter (where is_treatment) as campaigns_received,
        count(distinct campaign_id) filter (where not is_treatment) as campaigns_held_out
    from {{ ref('fct_campaign_audience') }}
    group by customer_key

),

responses as (

    select customer_key, count(*) as campaign_responses, max(responded_at) as last_response_at
    from {{ ref('fct_campaign_responses') }}
    group by customer_key

),

customer_keys as (

    select customer_key from orders
    union select customer_key from returns
    union select customer_key from sessions
    union select customer_key from interactions
    union select customer_key from campaigns
    union select customer_key from responses

)

select
    customer_keys.customer_key,
    cast(coalesce(orders.orders, 0) as integer) as orders,
    cast(coalesce(orders.order_value, 0) as decimal(14, 2)) as order_value,
    {{ decimal_of_double('cast(orders.order_value as double) / nullif(orders.orders, 0)', 14, 2) }} as avg_order_value,
    cast(orders.order_margin as decimal(14, 2)) as order_margin,
    orders.first_order_at,
    orders.last_order_at,
    cast(coalesce(returns.returns, 0) as integer) as returns,
    cast(coalesce(returns.return_value, 0) as decimal(14, 2)) as return_value,
    cast(coalesce(sessions.web_sessions, 0) as integer) as web_sessions,
    cast(coalesce(sessions.converted_web_sessions, 0) as integer) as converted_web_sessions,
    sessions.last_web_session_at,
    cast(coalesce(interactions.interactions, 0) as integer) as interactions,
    cast(coalesce(interactions.abandoned_interactions, 0) as integer) as abandoned_interactions,
    cast({{ round_double('interactions.avg_csat', 2) }} as double) as avg_csat,
    interactions.last_nps,
    cast(coalesce(campaigns.campaigns_received, 0) as integer) as campaigns_received,
    cast(coalesce(campaigns.campaigns_held_out, 0) as integer) as campaigns_held_out,
    cast(coalesce(responses.campaign_responses, 0) as integer) as campaign_responses,
    responses.last_response_at
from customer_keys
left join orders on orders.customer_key = customer_keys.customer_key
left join returns on returns.customer_key = customer_keys.customer_key
left join sessions on sessions.customer_key = customer_keys.customer_key
left join interactions on interactions.customer_key = customer_keys.customer_key
left join campaigns on campaigns.customer_key = customer_keys.customer_key
left join responses on responses.customer_key = customer_keys.customer_key
where customer_keys.customer_key is not null
