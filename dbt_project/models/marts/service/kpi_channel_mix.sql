-- Interaction-center channel mix per month: phone, chat and e-mail, inbound and outbound, as
-- counts and as the share of the month's interactions (_service__models.yml).
with monthly as (

    select
        date_trunc('month', started_at)::date as month,
        channel,
        direction,
        count(*) as interactions,
        count(answered_at) as answered,
        count(*) filter (where abandoned) as abandoned,
        count(distinct customer_key) as customers
    from {{ ref('fct_interactions') }}
    group by all

)

select
    month,
    channel,
    direction,
    interactions,
    answered,
    abandoned,
    customers,
    {{ kpi_safe_ratio('interactions', 'sum(interactions) over (partition by month)') }} as share
from monthly
