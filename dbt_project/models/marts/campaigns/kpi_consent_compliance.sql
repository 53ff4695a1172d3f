-- Campaign sends made without consent: each outbound campaign's treatment sends, by the consent on
-- the campaign's channel in the golden record valid at launch (rules: _campaigns__models.yml).
with campaigns as (

    select campaign_key, campaign_id, campaign_name, campaign_channel, launched_at
    from {{ ref('dim_campaign') }}
    where campaign_type = 'outbound'

),

sends as (

    select audience.audience_member_key, audience.campaign_key, audience.customer_key
    from {{ ref('fct_campaign_audience') }} as audience
    where audience.is_treatment

),

-- dim_customer versions are daily: an answer recorded on the launch day cannot be placed before
-- or after the send (a response to this very campaign arrives that day). So the consent at launch
-- is the version valid on the day before (valid_from inclusive, valid_to exclusive); no version
-- then (customer first seen later) = never asked.
consent_at_launch as (

    select
        sends.campaign_key,
        sends.audience_member_key,
        sends.customer_key,
        case campaigns.campaign_channel
            {%- for channel in ops_marketing_channels() %}
            when '{{ channel }}' then versions.consent_{{ channel }}
            {%- endfor %}
        end as consent
    from sends
    inner join campaigns on campaigns.campaign_key = sends.campaign_key
    left join {{ ref('dim_customer') }} as versions
        on versions.customer_key = sends.customer_key
        and versions.valid_from <= cast(campaigns.launched_at as date) - 1
        and versions.valid_to > cast(campaigns.launched_at as date) - 1

),

counts as (

    select
        campaign_key,
        count(*) as treatment_sends,
        count(*) filter (where consent) as sends_with_consent,
        count(*) filter (where customer_key is not null and consent is null) as sends_never_asked,
        count(*) filter (where not consent) as sends_after_opt_out,
        count(*) filter (where customer_key is null) as sends_unknown_customer
    from consent_at_launch
    group by campaign_key

)

select
    campaigns.campaign_id,
    campaigns.campaign_name,
    campaigns.campaign_channel,
    campaigns.launched_at,
    coalesce(counts.treatment_sends, 0) as treatment_sends,
    coalesce(counts.sends_with_consent, 0) as sends_with_consent,
    coalesce(counts.sends_never_asked, 0) as sends_never_asked,
    coalesce(counts.sends_after_opt_out, 0) as sends_after_opt_out,
    coalesce(counts.sends_unknown_customer, 0) as sends_unknown_customer,
    coalesce(counts.treatment_sends - counts.sends_with_consent, 0) as sends_without_consent
from campaigns
left join counts on counts.campaign_key = campaigns.campaign_key
