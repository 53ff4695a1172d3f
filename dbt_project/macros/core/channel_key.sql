{#
    Keys of core.dim_channel (a fixed list of touchpoints; the key is its readable code).

    pos_channel_key: the POS feed's sales channel -> touchpoint: 'store' -> 'store',
    'online' -> 'online', 'phone' -> 'phone_order' (an order taken by phone, not a service call).
    The channel is optional in the feed: without it the store id decides, as the contract
    defines it (ONLINE / PHONE for remote orders, any other id a store).
#}
{% macro pos_channel_key(channel, store_id) -%}
    case coalesce({{ channel }}, case {{ store_id }} when 'ONLINE' then 'online' when 'PHONE' then 'phone' end,
                  case when {{ store_id }} is not null then 'store' end)
        when 'store' then 'store'
        when 'online' then 'online'
        when 'phone' then 'phone_order'
    end
{%- endmacro %}


{# Call-center medium (phone, chat, email) -> 'callcenter_phone', 'callcenter_chat', 'callcenter_email'. #}
{% macro callcenter_channel_key(channel) -%}
    case when {{ channel }} in ('phone', 'chat', 'email') then 'callcenter_' || {{ channel }} end
{%- endmacro %}


{#
    Campaign channel (email, sms, phone, mail) -> 'campaign_email', ... A response given on the
    web site ('web') is a web touchpoint.
#}
{% macro campaign_channel_key(channel) -%}
    case
        when {{ channel }} in ('email', 'sms', 'phone', 'mail') then 'campaign_' || {{ channel }}
        when {{ channel }} = 'web' then 'web'
    end
{%- endmacro %}
