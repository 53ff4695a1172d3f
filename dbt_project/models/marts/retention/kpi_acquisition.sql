-- New customers per month by first-touch channel and acquiring campaign: one row per
-- acquisition_month, first_touch_channel and campaign_id. A customer is new in the month of its
-- first evidence in any source (customer_acquisition.acquired_on), so the monthly totals equal
-- the cohort sizes of kpi_cohort_retention. is_warm_up flags months that begin before the end of
-- the warm-up (customer_acquisition.warm_up_end): their "new" customers may be older ones seen
-- for the first time. campaign_id = campaign of a campaign response or campaign-tagged web
-- session that is the customer's first evidence (at first_seen_at); ties by record id; NULL when
-- none. Key: acquisition_month, first_touch_channel, campaign_id.

with acquired as (

    select * from {{ ref('customer_acquisition') }}

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

    select acquired.customer_key, {{ arg_min_by('touches.campaign_id', ['touches.record_id']) }} as campaign_id
    from acquired
    inner join campaign_touches as touches
        on touches.customer_key = acquired.customer_key and touches.touched_at <= acquired.first_seen_at
    group by acquired.customer_key

),

monthly as (

    select
        cast(date_trunc('month', acquired.acquired_on) as date) as acquisition_month,
        acquired.first_touch_channel,
        first_campaign.campaign_id,
        any_value(acquired.warm_up_end) as warm_up_end,
        count(*) as new_customers
    from acquired
    left join first_campaign on first_campaign.customer_key = acquired.customer_key
    group by all

)

select
    acquisition_month,
    first_touch_channel,
    campaign_id,
    cast(new_customers as integer) as new_customers,
    {{ kpi_safe_ratio('new_customers', 'sum(new_customers) over (partition by acquisition_month)') }}
        as month_share,
    acquisition_month < warm_up_end as is_warm_up
from monthly
