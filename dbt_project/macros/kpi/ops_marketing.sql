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

{#- SELECT of one row per customer and marketing channel the customer may be contacted on now
    (customer_key, channel, channel_rank): the current golden record (dim_customer, is_current)
    holds consent = true for the channel (false or never asked = no row) and a usable contact for
    it (ops_channel_contact_ok). Consent is the current version's, whatever the as-of day: a
    message goes out now, so an opt-out recorded after the as-of day still wins. channel_rank is
    the channel's place in `channels` (default ops_marketing_channels(): email, sms, phone, mail),
    1 = preferred. The one place the contact rule lives: marketing_audience, the per-customer
    exports (ops_preferred_channel) and telesales lists (channels=['phone']) select from it. -#}
{% macro ops_contactable_customers(channels=none) -%}
    {%- set chosen = channels or ops_marketing_channels() -%}
    {%- for channel in chosen %}
    select customers.customer_key, '{{ channel }}' as channel, {{ loop.index }} as channel_rank
    from {{ ref('dim_customer') }} as customers
    where customers.is_current
        and coalesce(customers.consent_{{ channel }}, false)
        and {{ ops_channel_contact_ok(channel, 'customers') }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}

{#- SELECT of one row per contactable customer (customer_key, channel): the customer's preferred
    channel among ops_contactable_customers(channels), the lowest channel_rank. A customer without
    a consented, reachable channel has no row: inner-join it to keep only people who may be
    contacted. -#}
{% macro ops_preferred_channel(channels=none) -%}
    select customer_key, {{ arg_min_by('channel', ['channel_rank']) }} as channel
    from ({{ ops_contactable_customers(channels) }}) as contactable
    group by customer_key
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
