-- Marketing permission per channel over the current golden records (formula: _campaigns__models.yml).
with customers as (

    select * from {{ ref('dim_customer') }} where is_current

),

answers as (

    {%- for channel in ops_marketing_channels() %}
    select
        '{{ channel }}' as channel,
        consent_{{ channel }} as consent,
        {{ ops_channel_contact_ok(channel, 'customers') }} as has_contact
    from customers
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

)

select
    channel,
    count(*) as customers,
    count(consent) as asked,
    count(*) filter (where consent) as opted_in,
    count(*) filter (where not consent) as opted_out,
    count(*) filter (where consent and has_contact) as reachable,
    {{ kpi_safe_ratio('count(*) filter (where consent)', 'count(*)') }} as opt_in_rate,
    {{ kpi_safe_ratio('count(*) filter (where consent)', 'count(consent)') }} as opt_in_rate_of_asked
from answers
group by channel
