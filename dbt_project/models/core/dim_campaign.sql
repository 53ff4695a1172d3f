-- Campaign dimension: one row per campaign id seen anywhere: outbound campaigns from the
-- audience exports (name, channel, launch, cell sizes), campaigns answered in response lists,
-- and the utm_campaign tags of web visits (paid search and social campaigns exist only there).
-- Key: campaign_key.

{%- set latest_export = order_key(['loaded_at', 'load_id', 'source_line']) %}
{%- set most_visits = order_key(['visits', 'utm_source', 'utm_medium']) %}

with audiences as (

    select
        campaign_id,
        {{ arg_max_of('campaign_name', latest_export) }} as campaign_name,
        {{ arg_max_of('campaign_channel', latest_export) }} as campaign_channel,
        min(launched_at) as launched_at,
        -- the campaign's total cost as its latest export states it (null when none states one)
        {{ arg_max_of('campaign_cost', latest_export) }}
            filter (where campaign_cost is not null) as campaign_cost,
        count(*) as audience_size,
        count(*) filter (where cell = 'treatment') as treatment_size,
        count(*) filter (where cell = 'control') as control_size
    from {{ ref('stg_campaign_audience__members') }}
    group by campaign_id

),

responses as (

    select campaign_id, min(responded_at) as first_response_at
    from {{ ref('stg_response_list__responses') }}
    group by campaign_id

),

web_tags as (

    -- the source and medium most visits of the campaign carried
    select
        utm_campaign as campaign_id,
        {{ arg_max_of('utm_source', most_visits) }} as utm_source,
        {{ arg_max_of('utm_medium', most_visits) }} as utm_medium,
        min(first_visit_at) as first_web_visit_at
    from (
        select utm_campaign, utm_source, utm_medium, count(*) as visits, min(occurred_at) as first_visit_at
        from {{ ref('stg_web__events') }}
        where utm_campaign is not null
        group by utm_campaign, utm_source, utm_medium
    )
    group by utm_campaign

),

campaigns as (

    select campaign_id from audiences
    union
    select campaign_id from responses
    union
    select campaign_id from web_tags

)

select
    {{ surrogate_key(['campaigns.campaign_id']) }} as campaign_key,
    campaigns.campaign_id,
    audiences.campaign_name,
    audiences.campaign_channel,
    {{ campaign_channel_key('audiences.campaign_channel') }} as channel_key,
    case
        when audiences.campaign_id is not null then 'outbound'
        when web_tags.campaign_id is not null then 'web_tagged'
        else 'response_only'
    end as campaign_type,
    audiences.launched_at,
    cast(coalesce(audiences.audience_size, 0) as integer) as audience_size,
    cast(coalesce(audiences.treatment_size, 0) as integer) as treatment_size,
    cast(coalesce(audiences.control_size, 0) as integer) as control_size,
    audiences.campaign_cost,
    responses.first_response_at,
    web_tags.utm_source,
    web_tags.utm_medium,
    web_tags.first_web_visit_at
from campaigns
left join audiences on audiences.campaign_id = campaigns.campaign_id
left join responses on responses.campaign_id = campaigns.campaign_id
left join web_tags on web_tags.campaign_id = campaigns.campaign_id
