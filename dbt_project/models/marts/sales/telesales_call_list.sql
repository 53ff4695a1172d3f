-- Today's outbound telesales call list as of kpi_as_of(): customers who may be called (consent
-- for phone and a phone number: ops_contactable_customers(['phone'])), not called by telesales
-- in the last var('telesales_recontact_days') days, with the reason, the offer and a rank
-- (rules: _sales__models.yml, docs/kpis.md). Key: customer_key.
with as_of as (

    select {{ kpi_as_of() }} as as_of_date

),

phone as (

    {{ ops_contactable_customers(channels=['phone']) }}

),

recently_called as (

    select distinct contacts.customer_key
    from {{ ref('fct_interactions') }} as contacts
    cross join as_of
    where contacts.customer_key is not null and contacts.direction = 'outbound' and contacts.queue = 'telesales'
        and cast(contacts.started_at as date) <= as_of.as_of_date
        and cast(contacts.started_at as date) > as_of.as_of_date - {{ var('telesales_recontact_days') }}

),

value as (

    select customer_key, net_revenue from {{ ref('kpi_customer_value') }}

),

-- Every reason a customer qualifies for; the first by priority is kept.
candidates as (

    select customer_key, 'new_lead' as call_reason, 1 as priority, {{ epoch_seconds('first_seen_at') }} as score
    from {{ ref('sales_leads') }}
    where status = 'new'
    union all
    select customer_key, 'lead_follow_up', 2, {{ epoch_seconds('first_seen_at') }}
    from {{ ref('sales_leads') }}
    where status = 'contacted'
    union all
    select churn.customer_key, 'lapsed_customer', 3, coalesce(value.net_revenue, 0)
    from {{ ref('customer_churn') }} as churn
    left join value on value.customer_key = churn.customer_key
    where churn.next_action in ('retention_offer', 'win_back_offer')
    union all
    select offers.customer_key, 'cross_sell', 4, coalesce(value.net_revenue, 0)
    from {{ ref('next_best_offer') }} as offers
    left join value on value.customer_key = offers.customer_key

),

eligible as (

    select
        candidates.customer_key,
        {{ arg_min_by('candidates.call_reason', ['candidates.priority']) }} as call_reason,
        min(candidates.priority) as priority,
        {{ arg_min_by('candidates.score', ['candidates.priority']) }} as score
    from candidates
    inner join phone on phone.customer_key = candidates.customer_key
    where not exists (select 1 from recently_called where recently_called.customer_key = candidates.customer_key)
    group by candidates.customer_key

),

offers as (

    select
        eligible.*,
        coalesce(nbo.offer_sku, leads.interest_sku) as offer_sku,
        coalesce(nbo.offer_category, leads.interest_category) as offer_category,
        case
            when nbo.offer_sku is not null then 'next_best_offer'
            when leads.interest_sku is not null then 'web_interest'
        end as offer_source
    from eligible
    left join {{ ref('next_best_offer') }} as nbo on nbo.customer_key = eligible.customer_key
    left join {{ ref('sales_leads') }} as leads on leads.customer_key = eligible.customer_key

)

select
    cast(row_number() over (order by priority, score desc, customer_key) as integer) as call_rank,
    customer_key,
    'phone' as channel,
    call_reason,
    offer_sku,
    offer_category,
    offer_source,
    (select as_of_date from as_of) as as_of_date
from offers
