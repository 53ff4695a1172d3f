-- One row per web account id (ACC-...) with the customer identity resolution put it in: lets
-- records that name only an account (campaign audiences, anonymous web visits stitched to a
-- login) reach a customer. An account whose records were split across customers goes to the
-- customer holding most of them (ties: lowest customer_key). Key: account_id.

with account_records as (

    select
        records.account_id,
        identity_map.customer_key
    from {{ ref('int_contact_records') }} as records
    inner join {{ source('core', 'customer_identity_map') }} as identity_map
        on identity_map.source_system = records.source_system
        and identity_map.source_record_id = records.source_record_id
    where records.account_id is not null

),

votes as (

    select
        account_id,
        customer_key,
        count(*) as account_records,
        count(*) over (partition by account_id) as candidate_customers
    from account_records
    group by account_id, customer_key

)

select
    account_id,
    customer_key,
    account_records,
    cast(candidate_customers as integer) as candidate_customers
from votes
qualify row_number() over (
    partition by account_id order by account_records desc, customer_key
) = 1
