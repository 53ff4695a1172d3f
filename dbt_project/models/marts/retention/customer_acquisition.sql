-- When each customer was acquired: the first evidence of the person in any source. Grain: one
-- row per customer (a person with a sale on or before kpi_as_of(); people who never bought are
-- prospects, not customers), dated by the earliest core.fct_touchpoints row: web sessions,
-- purchases, returns, service contacts, campaign messages and responses. No feed declares a
-- customer-since date today (sources/feeds), so acquired_on = the first evidence's day. Acquisitions in the warm-up (the first var('acquisition_warm_up_days') days from the
-- first evidence in the data) cannot be told from customers who were there before the history
-- starts: is_warm_up flags them. Key: customer_key.

with buyers as (

    select customer_key, min(transaction_at) as first_order_at
    from {{ ref('fct_order_lines') }}
    where customer_key is not null and cast(transaction_at as date) <= {{ kpi_as_of() }}
    group by customer_key

),

first_evidence as (

    select
        customer_key,
        min(touched_at) as first_seen_at,
        {{ arg_min_by('touchpoint_type', ['touched_at', 'touchpoint_key']) }} as first_touchpoint_type,
        {{ arg_min_by('channel_key', ['touched_at', 'touchpoint_key']) }} as first_touch_channel
    from {{ ref('fct_touchpoints') }}
    where cast(touched_at as date) <= {{ kpi_as_of() }}
        and customer_key in (select customer_key from buyers)
    group by customer_key

),

history as (

    select
        cast(min(first_seen_at) as date) as history_start,
        cast(min(first_seen_at) as date) + {{ var('acquisition_warm_up_days') }} as warm_up_end
    from first_evidence

)

select
    first_evidence.customer_key,
    first_evidence.first_seen_at,
    first_evidence.first_touchpoint_type,
    first_evidence.first_touch_channel,
    buyers.first_order_at,
    cast(first_evidence.first_seen_at as date) as acquired_on,
    history.history_start,
    history.warm_up_end,
    cast(first_evidence.first_seen_at as date) < history.warm_up_end as is_warm_up
from first_evidence
inner join buyers on buyers.customer_key = first_evidence.customer_key
cross join history
