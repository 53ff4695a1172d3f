-- RFM scores per customer with at least one sale on or before kpi_as_of(): one row per customer.
-- recency_days = kpi_as_of() - date of the last sale; frequency = orders (POS transactions);
-- monetary = revenue (net sale amount). Each score is ntile(5) over the customers (5 = most
-- recent / most frequent / highest spend). Ties: ntile alone would split equal values across
-- scores by an arbitrary tie-break, so every value takes the lowest ntile any customer with that
-- value received; equal values always share a score, and a score can end up empty (with 40%
-- one-time buyers, frequency 1 spans ntiles 1-2 and all get 1). segment: macro kpi_rfm_segment
-- on R and F. Key: customer_key.

with customers as (

    select
        customer_key,
        cast({{ days_between('cast(last_order_at as date)', kpi_as_of()) }} as integer) as recency_days,
        orders as frequency,
        revenue as monetary
    from {{ ref('kpi_customer_value') }}

),

tiles as (

    select
        *,
        -- older last sale = lower score, so recency is ranked descending
        ntile(5) over (order by recency_days desc, customer_key) as r_tile,
        ntile(5) over (order by frequency, customer_key) as f_tile,
        ntile(5) over (order by monetary, customer_key) as m_tile
    from customers

),

scores as (

    select
        customer_key,
        recency_days,
        frequency,
        monetary,
        cast(min(r_tile) over (partition by recency_days) as integer) as r_score,
        cast(min(f_tile) over (partition by frequency) as integer) as f_score,
        cast(min(m_tile) over (partition by monetary) as integer) as m_score
    from tiles

)

select
    customer_key,
    recency_days,
    frequency,
    monetary,
    r_score,
    f_score,
    m_score,
    cast(r_score as {{ dbt.type_string() }}) || cast(f_score as {{ dbt.type_string() }}) || cast(m_score as {{ dbt.type_string() }}) as rfm_cell,
    {{ kpi_rfm_segment('r_score', 'f_score') }} as segment
from scores
