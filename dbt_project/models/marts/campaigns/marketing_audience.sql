-- Who may be contacted on which marketing channel: consent = true and a usable contact
-- (rules: macro ops_contactable_customers, _campaigns__models.yml). No personal data: the contact
-- fields of each row are in restricted.marketing_contacts.
with contactable as (

    {{ ops_contactable_customers() }}

)

select
    contactable.channel,
    contactable.customer_key,
    customers.region,
    customers.country,
    true as has_consent
from contactable
inner join {{ ref('dim_customer') }} as customers
    on customers.customer_key = contactable.customer_key
    and customers.is_current
