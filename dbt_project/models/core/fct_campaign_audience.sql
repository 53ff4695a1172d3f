-- Grain: one row per campaign and targeted account (campaign_id, account_id), as the marketing
-- system exported the audience: the treatment cell got the message, the control cell was held
-- out (lift = treatment vs control behaviour). The customer is the one identity resolution put
-- the account in (intermediate.int_customer_account_keys); null for accounts never seen in a
-- contact record. Key: audience_member_key.

with members as (

    select * from {{ ref('stg_campaign_audience__members') }}

),

accounts as (

    select account_id, customer_key from {{ ref('int_customer_account_keys') }}

)

select
    {{ surrogate_key(['members.campaign_id', 'members.account_id']) }} as audience_member_key,
    {{ surrogate_key(['members.campaign_id']) }} as campaign_key,
    members.campaign_id,
    members.account_id,
    accounts.customer_key,
    members.cell,
    members.cell = 'treatment' as is_treatment,
    members.launched_at,
    {{ date_key('members.launched_at') }} as date_key,
    {{ campaign_channel_key('members.campaign_channel') }} as channel_key
from members
left join accounts on accounts.account_id = members.account_id
