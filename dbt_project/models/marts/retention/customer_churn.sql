-- Churn status per customer with at least one sale on or before kpi_as_of(): one row per
-- customer. days_since_last_order = kpi_as_of() - date of the last sale; churned when it is at
-- least var('churn_days') (no purchase for churn_days days); churn_date = last sale date +
-- churn_days, the day the customer churned, NULL while not churned. Key: customer_key.
-- Issue 23: is_at_risk, churn_risk_reason and next_action say why a customer is at risk or
-- churned and what to do (rules and priorities: _retention__models.yml, docs/kpis.md).

with as_of as (

    select {{ kpi_as_of() }} as as_of_date

),

base as (

    select
        value.customer_key,
        value.orders,
        value.first_order_at,
        value.last_order_at,
        cast({{ days_between('cast(value.last_order_at as date)', 'as_of.as_of_date') }} as integer)
            as days_since_last_order,
        cast(value.last_order_at as date) - {{ var('churn_risk_experience_days') }} as experience_from,
        as_of.as_of_date
    from {{ ref('kpi_customer_value') }} as value
    cross join as_of

),

-- The customer's own rhythm: mean days between distinct purchase days up to the as-of day.
rhythm as (

    select
        customer_key,
        {{ days_between('min(purchase_day)', 'max(purchase_day)') }} / nullif(count(*) - 1, 0) as mean_gap_days
    from (
        select distinct lines.customer_key, cast(lines.transaction_at as date) as purchase_day
        from {{ ref('fct_order_lines') }} as lines
        cross join as_of
        where lines.customer_key is not null and cast(lines.transaction_at as date) <= as_of.as_of_date
    ) as purchase_days
    group by customer_key

),

-- Complaints and bad experiences from experience_from to the as-of day.
complaints as (

    select distinct contacts.customer_key
    from {{ ref('fct_interactions') }} as contacts
    inner join base on base.customer_key = contacts.customer_key
    where (contacts.queue = 'complaints' or contacts.reason ilike '%complaint%')
        and cast(contacts.started_at as date) between base.experience_from and base.as_of_date

),

bad_experiences as (

    select contacts.customer_key
    from {{ ref('fct_interactions') }} as contacts
    inner join base on base.customer_key = contacts.customer_key
    where (contacts.csat <= 2 or contacts.nps <= 3)
        and cast(contacts.started_at as date) between base.experience_from and base.as_of_date
    union
    select returns.customer_key
    from {{ ref('fct_returns') }} as returns
    inner join base on base.customer_key = returns.customer_key
    where cast(returns.returned_at as date) between base.experience_from and base.as_of_date
    union
    select lines.customer_key
    from {{ ref('fct_order_lines') }} as lines
    inner join base on base.customer_key = lines.customer_key
    where lines.on_time = false
        and cast(lines.delivered_at as date) between base.experience_from and base.as_of_date

),

flagged as (

    select
        base.*,
        base.days_since_last_order >= {{ var('churn_days') }} as is_churned,
        rhythm.mean_gap_days,
        complaints.customer_key is not null as had_complaint,
        bad.customer_key is not null as had_bad_experience,
        case
            when rhythm.mean_gap_days is null then base.days_since_last_order >= {{ var('lapsed_days') }}
            else base.days_since_last_order > {{ var('churn_risk_gap_factor') }} * rhythm.mean_gap_days
        end as is_falling_frequency
    from base
    left join rhythm on rhythm.customer_key = base.customer_key
    left join complaints on complaints.customer_key = base.customer_key
    left join (select distinct customer_key from bad_experiences) as bad on bad.customer_key = base.customer_key

),

reasons as (

    select
        *,
        not is_churned and (is_falling_frequency or had_complaint or had_bad_experience) as is_at_risk,
        case
            when not (is_churned or is_falling_frequency or had_complaint or had_bad_experience) then null
            when had_complaint then 'complaint'
            when had_bad_experience then 'bad_experience'
            else 'falling_frequency'
        end as churn_risk_reason
    from flagged

)

select
    customer_key,
    orders,
    first_order_at,
    last_order_at,
    days_since_last_order,
    is_churned,
    case when is_churned then cast(cast(last_order_at as date) + {{ var('churn_days') }} as date) end as churn_date,
    is_at_risk,
    {{ round_double('mean_gap_days', 1) }} as mean_gap_days,
    churn_risk_reason,
    case
        when churn_risk_reason is null then 'no_action'
        when churn_risk_reason in ('complaint', 'bad_experience') then 'service_recovery_call'
        when is_churned then 'win_back_offer'
        else 'retention_offer'
    end as next_action
from reasons
