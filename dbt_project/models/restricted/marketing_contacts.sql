-- Contact fields of each marketing_audience row: only its channel's (rules: _restricted__models.yml).
with audience as (

    select channel, customer_key from {{ ref('marketing_audience') }}

),

customers as (

    select * from {{ ref('dim_customer') }} where is_current

)

select
    audience.channel,
    audience.customer_key,
    customers.first_name,
    customers.last_name,
    case when audience.channel = 'email' then customers.email end as email,
    case when audience.channel in ('sms', 'phone') then customers.phone end as phone,
    {%- for field in ['address_line1', 'address_line2', 'city', 'postcode'] %}
    case when audience.channel = 'mail' then customers.{{ field }} end as {{ field }},
    {%- endfor %}
    customers.country
from audience
inner join customers on customers.customer_key = audience.customer_key
