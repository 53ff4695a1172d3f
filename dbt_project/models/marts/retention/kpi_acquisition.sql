-- New customers per month by first-touch channel and acquiring campaign: one row per
-- acquisition_month, first_touch_channel and campaign_id. A customer is acquired in the month of
-- its first sale (kpi_customer_value.first_order_at, so the monthly totals equal the cohort sizes
-- of kpi_cohort_retention). first_touch_channel = channel of the customer's first touchpoint of
-- any kind (marts.customer_360). campaign_id = campaign of the customer's earliest campaign
-- response or campaign-tagged web session (utm_campaign of the session's first event) at or
-- before the first sale; ties by time then record id; NULL when none. Key: acquisition_month,
-- first_touch_channel, campaign_id.

with buyers as (

    select value.customer_key, value.first_order_at, profiles.first_touch_channel
    from {{ ref('kpi_customer_value') }} as value
    left join {{ ref('customer_360') }} as profiles on profiles.customer_key = value.customer_key

),

campaign_touches as (

    select customer_key, responded_at as touched_at, campaign_id, response_id as record_id
    from {{ ref('fct_campaign_responses') }}
    where customer_key is not null
    union all
    select sessions.customer_key, sessions.session_started_at, campaigns.campaign_id, sessions.session_id
    from {{ ref('fct_web_sessions') }} as sessions
    inner join {{ ref('dim_campaign') }} as campaigns on campaigns.campaign_key = sessions.campaign_key
    where sessions.customer_key is not null

),

first_campaign as (

    select
        buyers.customer_key,
        arg_min(touches.campaign_id, struct_pack(touches.touched_at, touches.record_id)) as campaign_id
    from buyers
    inner join campaign_touches as touches
        on touches.customer_key = buyers.customer_key and touches.touched_at <= buyers.first_order_at
    group by buyers.customer_key

),

acquired as (

    select
        cast(date_trunc('month', buyers.first_order_at) as date) as acquisition_month,
        buyers.first_touch_channel,
        first_campaign.campaign_id,
        count(*) as new_customers
    from buyers
    left join first_campaign on first_campaign.customer_key = buyers.customer_key
    group by all

)

select
    acquisition_month,
    first_touch_channel,
    campaign_id,
    cast(new_customers as integer) as new_customers,
    {{ kpi_safe_ratio('new_customers', 'sum(new_customers) over (partition by acquisition_month)') }}
        as month_share
from acquired
