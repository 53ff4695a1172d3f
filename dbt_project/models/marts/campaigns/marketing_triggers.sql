-- Event-based marketing: one row per customer event ready for action in the week around the as-of
-- day: birthday, first-purchase anniversary, lapse, large return, unresolved complaint
-- (windows and rules: _campaigns__models.yml), for customers with a consented, reachable channel.
with as_of as (

    select {{ kpi_as_of() }} as as_of_date

),

purchases as (

    select customer_key, min(transaction_at)::date as first_date, max(transaction_at)::date as last_date
    from {{ ref('fct_order_lines') }}
    where customer_key is not null
    group by customer_key

),

-- Coming up in the next 7 days, the as-of day included; an anniversary needs a full year.
upcoming as (

    select
        customer_key,
        trigger_type,
        trigger_date,
        case trigger_type
            when 'birthday' then 'turns ' || (year(trigger_date) - year(origin_date))
            else (year(trigger_date) - year(origin_date))
                || ' year(s) since first purchase on ' || origin_date
        end as detail
    from (
        select origins.*, {{ ops_next_yearly_date('origin_date', 'as_of_date') }} as trigger_date
        from (
            select customer_key, 'birthday' as trigger_type, date_of_birth as origin_date
            from {{ ref('dim_customer') }}
            where is_current
            union all
            select customer_key, 'purchase_anniversary', first_date from purchases
        ) as origins
        cross join as_of
    ) as recurrences
    cross join as_of
    where trigger_date between as_of_date and as_of_date + 6
        and year(trigger_date) > year(origin_date)

),

-- Happened in the last 7 days, the as-of day included: the lapse is the day the customer reached
-- lapsed_days without a purchase.
lapsed as (

    select
        customer_key,
        'lapsed' as trigger_type,
        last_date + {{ var('lapsed_days') }} as trigger_date,
        'no purchase since ' || last_date as detail
    from purchases
    cross join as_of
    where last_date + {{ var('lapsed_days') }} between as_of_date - 6 and as_of_date

),

large_returns as (

    select
        customer_key,
        'large_return' as trigger_type,
        returned_at::date as trigger_date,
        'refund ' || sum(refund_amount) || ' on '
            || {{ ordered_string_agg('transaction_id', "', '", 'transaction_id', distinct=true) }} as detail
    from {{ ref('fct_returns') }}
    cross join as_of
    where customer_key is not null
        and returned_at::date between as_of_date - 6 and as_of_date
    group by customer_key, returned_at::date
    having sum(refund_amount) >= {{ var('large_return_amount') }}

),

contacts as (

    select * from {{ ref('fct_interactions') }}
    where customer_key is not null and reason ilike '%complaint%'

),

-- A complaint settled by a later contact marked resolved no longer needs action.
complaints as (

    select
        complaint.customer_key,
        'unresolved_complaint' as trigger_type,
        complaint.started_at::date as trigger_date,
        'complaint via ' || {{ ordered_string_agg(
            "complaint.channel || ': ' || complaint.outcome", "', '", 'complaint.started_at'
        ) }} as detail
    from contacts as complaint
    cross join as_of
    where complaint.resolved = false
        and complaint.started_at::date between as_of_date - 6 and as_of_date
        and not exists (
            select 1 from contacts as later
            where later.customer_key = complaint.customer_key
                and later.resolved
                and later.started_at > complaint.started_at
                and later.started_at::date <= as_of_date
        )
    group by complaint.customer_key, complaint.started_at::date

)

-- Only customers who may be contacted, on their preferred consented channel.
select events.customer_key, channels.channel, events.trigger_type, events.trigger_date, events.detail
from (
    select customer_key, trigger_type, trigger_date, detail from upcoming
    union all
    select customer_key, trigger_type, trigger_date, detail from lapsed
    union all
    select customer_key, trigger_type, trigger_date, detail from large_returns
    union all
    select customer_key, trigger_type, trigger_date, detail from complaints
) as events
inner join ({{ ops_preferred_channel() }}) as channels on channels.customer_key = events.customer_key
