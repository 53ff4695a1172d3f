{#- Marketing channels a customer can consent to (dim_customer.consent_<channel>). -#}
{% macro ops_marketing_channels() -%}
    {{ return(['email', 'sms', 'phone', 'mail']) }}
{%- endmacro %}

{#- SQL condition on a dim_customer row (alias `relation_alias`): the customer has a contact the
    channel can use. SMS and phone calls need a phone number; a letter needs street, postcode and
    city (address_line2 is optional). -#}
{% macro ops_channel_contact_ok(channel, relation_alias) -%}
    {%- set a = relation_alias -%}
    {%- if channel == 'email' -%}
        nullif(trim({{ a }}.email), '') is not null
    {%- elif channel in ('sms', 'phone') -%}
        nullif(trim({{ a }}.phone), '') is not null
    {%- elif channel == 'mail' -%}
        (nullif(trim({{ a }}.address_line1), '') is not null
            and nullif(trim({{ a }}.postcode), '') is not null
            and nullif(trim({{ a }}.city), '') is not null)
    {%- else -%}
        {{ exceptions.raise_compiler_error('unknown marketing channel ' ~ channel) }}
    {%- endif -%}
{%- endmacro %}

{#- Fails for every row of a marketing list (columns channel, customer_key) whose customer's
    current golden record (dim_customer, is_current) does not hold consent = true for that channel,
    or has no usable contact for it: nobody may be contacted without permission. -#}
{% test ops_has_marketing_consent(model) %}
    select audience.channel, audience.customer_key
    from {{ model }} as audience
    left join {{ ref('dim_customer') }} as customer
        on customer.customer_key = audience.customer_key
        and customer.is_current
    where case audience.channel
        {%- for channel in ops_marketing_channels() %}
        when '{{ channel }}' then coalesce(customer.consent_{{ channel }}, false)
            and {{ ops_channel_contact_ok(channel, 'customer') }}
        {%- endfor %}
        else false
    end is not true
{% endtest %}
