-- The telesales call list with the numbers to dial: each marts.telesales_call_list row with the
-- current golden record's name and phone (rules: _restricted__models.yml).
select
    calls.call_rank,
    calls.customer_key,
    calls.channel,
    calls.call_reason,
    calls.offer_sku,
    calls.offer_category,
    customers.first_name,
    customers.last_name,
    customers.phone,
    customers.country,
    calls.as_of_date
from {{ ref('telesales_call_list') }} as calls
inner join {{ ref('dim_customer') }} as customers
    on customers.customer_key = calls.customer_key and customers.is_current
