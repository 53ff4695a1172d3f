-- Who may be contacted on which marketing channel: consent = true and a usable contact
-- (rules: _campaigns__models.yml). Each row carries only the contact fields of its channel.
with customers as (

    select * from {{ ref('dim_customer') }} where is_current

)

{% for channel in ops_marketing_channels() %}
select
    '{{ channel }}' as channel,
    customer_key,
    first_name,
    last_name,
    {{ 'email' if channel == 'email' else 'cast(null as varchar)' }} as email,
    {{ 'phone' if channel in ('sms', 'phone') else 'cast(null as varchar)' }} as phone,
    {%- for field in ['address_line1', 'address_line2', 'city', 'postcode'] %}
    {{ field if channel == 'mail' else 'cast(null as varchar)' }} as {{ field }},
    {%- endfor %}
    country,
    consent_{{ channel }} as has_consent
from customers
where consent_{{ channel }}
    and {{ ops_channel_contact_ok(channel, 'customers') }}
{% if not loop.last %}union all{% endif %}
{% endfor %}
