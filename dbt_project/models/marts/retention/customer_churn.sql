-- Churn status per customer with at least one sale on or before kpi_as_of(): one row per
-- customer. days_since_last_order = kpi_as_of() - date of the last sale; churned when it is at
-- least var('churn_days') (no purchase for churn_days days); churn_date = last sale date +
-- churn_days, the day the customer churned, NULL while not churned. Key: customer_key.

select
    customer_key,
    orders,
    first_order_at,
    last_order_at,
    cast(date_diff('day', cast(last_order_at as date), {{ kpi_as_of() }}) as integer) as days_since_last_order,
    date_diff('day', cast(last_order_at as date), {{ kpi_as_of() }}) >= {{ var('churn_days') }} as is_churned,
    case when date_diff('day', cast(last_order_at as date), {{ kpi_as_of() }}) >= {{ var('churn_days') }}
        then cast(cast(last_order_at as date) + {{ var('churn_days') }} as date) end as churn_date
from {{ ref('kpi_customer_value') }}
