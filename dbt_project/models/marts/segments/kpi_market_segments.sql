-- Customers, revenue and predicted CLV per market segment: one row per dimension and
-- segment_value over customer_segments (every current customer). Dimensions: region, country,
-- age_band, loyalty_status, frequency_band, rfm_segment, language, top_interest_category,
-- preferred_payment_type, preferred_channel, strategic (strategic / other) and the
-- list dimensions channel and category, where a customer counts once in every value of the list
-- (their rows overlap and sum to more than all customers; customers with an empty list are in
-- no row). Missing values are 'unknown' (rfm_segment: customers without a sale). revenue = the
-- segment customers' total revenue; customer_share = customers / all customers;
-- avg_predicted_clv over the customers with a prediction. Key: dimension, segment_value.

{%- set scalar_dimensions = [
    'region', 'country', 'age_band', 'loyalty_status', 'frequency_band', 'rfm_segment',
    'language', 'top_interest_category', 'preferred_payment_type', 'preferred_channel',
] %}

with customers as (

    select * from {{ ref('customer_segments') }}

),

memberships as (

    {%- for dimension in scalar_dimensions %}
    select '{{ dimension }}' as dimension, coalesce({{ dimension }}, 'unknown') as segment_value,
        customer_key, orders, revenue, predicted_clv
    from customers
    union all
    {%- endfor %}
    select 'strategic', case when is_strategic then 'strategic' else 'other' end,
        customer_key, orders, revenue, predicted_clv
    from customers
    union all
    select 'channel', {{ unnest_list('channels_used') }}, customer_key, orders, revenue, predicted_clv
    from customers
    union all
    select 'category', {{ unnest_list('categories_bought') }}, customer_key, orders, revenue, predicted_clv
    from customers

)

select
    dimension,
    segment_value,
    cast(count(*) as integer) as customers,
    cast(count(*) filter (where orders > 0) as integer) as buyers,
    {{ kpi_safe_ratio('count(*)', '(select count(*) from customers)') }} as customer_share,
    cast(sum(revenue) as decimal(14, 2)) as revenue,
    avg(predicted_clv) as avg_predicted_clv
from memberships
group by dimension, segment_value
