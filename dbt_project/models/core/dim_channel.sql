-- Touchpoint dimension: one row per way a customer meets the firm, a fixed list. The key is
-- the readable code the facts compute (macros pos_channel_key, callcenter_channel_key,
-- campaign_channel_key). Family groups the touchpoints for customer_360's first/last touch:
-- web (site visits), store (in person), remote_order (online shop and phone orders),
-- callcenter (service contacts) and campaign (outbound marketing). Key: channel_key.

-- column names after the VALUES (Spark takes no column list on a CTE)
with channels as (

    select * from (values
        ('web', 'Web site', 'web', 'web', false, true),
        ('store', 'Store', 'store', 'in_person', true, false),
        ('online', 'Online shop order', 'remote_order', 'web', false, true),
        ('phone_order', 'Phone order', 'remote_order', 'phone', true, false),
        ('callcenter_phone', 'Call center: phone', 'callcenter', 'phone', true, false),
        ('callcenter_chat', 'Call center: chat', 'callcenter', 'chat', true, true),
        ('callcenter_email', 'Call center: e-mail', 'callcenter', 'email', true, true),
        ('campaign_email', 'Campaign: e-mail', 'campaign', 'email', false, true),
        ('campaign_sms', 'Campaign: SMS', 'campaign', 'sms', false, true),
        ('campaign_phone', 'Campaign: phone call', 'campaign', 'phone', true, false),
        ('campaign_mail', 'Campaign: direct mail', 'campaign', 'mail', false, false)
    ) as channel_values (channel_key, channel_name, channel_family, medium, is_assisted, is_digital)

)

select
    cast(channel_key as string) as channel_key,
    cast(channel_name as string) as channel_name,
    cast(channel_family as string) as channel_family,
    cast(medium as string) as medium,
    cast(is_assisted as boolean) as is_assisted,
    cast(is_digital as boolean) as is_digital
from channels
