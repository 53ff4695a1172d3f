-- Grain: one row per campaign response (response_id): who answered which campaign, how, and
-- the consent given with the answer. The customer is the one identity resolution gave the
-- response; was_targeted / audience_cell say whether that customer was in the campaign's
-- audience (treatment wins when several of the customer's accounts were). Key: response_id.

with responses as (

    select * from {{ ref('stg_response_list__responses') }}

),

response_customers as (

    select source_record_id as response_id, customer_key
    from {{ source('core', 'customer_identity_map') }}
    where source_system = 'response_list'

),

audience as (

    select
        campaign_id,
        customer_key,
        case when bool_or(is_treatment) then 'treatment' else 'control' end as audience_cell,
        min(launched_at) as launched_at
    from {{ ref('fct_campaign_audience') }}
    where customer_key is not null
    group by campaign_id, customer_key

),

resolved as (

    select
        responses.*,
        response_customers.customer_key
    from responses
    left join response_customers on response_customers.response_id = responses.response_id

)

select
    resolved.response_id,
    {{ surrogate_key(['resolved.campaign_id']) }} as campaign_key,
    resolved.campaign_id,
    resolved.responded_at,
    {{ date_key('resolved.responded_at') }} as date_key,
    resolved.customer_key,
    customer_version.customer_sk,
    resolved.response_channel,
    {{ campaign_channel_key('resolved.response_channel') }} as channel_key,
    audience.customer_key is not null as was_targeted,
    audience.audience_cell,
    cast({{ days_between('audience.launched_at', 'resolved.responded_at') }} as integer) as days_since_launch,
    resolved.consent_email,
    resolved.consent_sms,
    resolved.consent_phone,
    resolved.consent_mail
from resolved
left join audience
    on audience.campaign_id = resolved.campaign_id
    and audience.customer_key = resolved.customer_key
{{ join_customer_version('customer_version', 'resolved.customer_key', 'resolved.responded_at') }}
