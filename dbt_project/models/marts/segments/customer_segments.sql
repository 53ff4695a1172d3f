-- Market segments of every customer (core.dim_customer's current golden record, the customers
-- of marts.customer_360): one row per customer. Geography (region, country, postcode district:
-- macro postcode_district), demography (age band as of kpi_as_of(), macros kpi_age_years and
-- kpi_age_band; no age or date of birth in the output), behaviour (channels of the touchpoints the customer made, campaign
-- messages received excluded; categories bought; loyalty membership; purchase frequency band,
-- macro kpi_frequency_band), RFM segment, and predicted CLV (marts_python customer_clv.clv).
-- is_strategic: among customers with a predicted CLV, the first ceil(strategic_clv_share x N) by
-- CLV (ties by customer_key). Language, interest, payment and channel preferences: intermediate
-- int_customer_preferences (issue 23). Activity counts up to kpi_as_of(). Key: customer_key.

with channels as (

    select customer_key, {{ sorted_distinct_list('channel_key') }} as channels_used
    from {{ ref('fct_touchpoints') }}
    where touchpoint_type <> 'campaign_sent'
        and cast(touched_at as date) <= {{ kpi_as_of() }}
    group by customer_key

),

categories as (

    select lines.customer_key, {{ sorted_distinct_list('products.category') }} as categories_bought
    from {{ ref('fct_order_lines') }} as lines
    inner join {{ ref('dim_product') }} as products on products.product_key = lines.product_key
    where lines.customer_key is not null
        and products.category is not null
        and cast(lines.transaction_at as date) <= {{ kpi_as_of() }}
    group by lines.customer_key

),

clv as (

    select
        customer_key,
        cast(clv as double) as predicted_clv,
        row_number() over (order by clv desc, customer_key) as clv_rank,
        count(*) over () as clv_customers
    from {{ source('marts_python', 'customer_clv') }}
    where clv is not null

),

customers as (

    select
        customer_key,
        region,
        country,
        {{ postcode_district('postcode') }} as postcode_district,
        {{ kpi_age_band(kpi_age_years('date_of_birth')) }} as age_band,
        is_loyalty_member
    from {{ ref('dim_customer') }}
    where is_current

)

select
    customers.customer_key,
    customers.region,
    customers.country,
    customers.postcode_district,
    customers.age_band,
    coalesce(channels.channels_used, {{ list_of([]) }}) as channels_used,
    coalesce(categories.categories_bought, {{ list_of([]) }}) as categories_bought,
    case when customers.is_loyalty_member then 'member' else 'non_member' end as loyalty_status,
    coalesce(value.orders, 0) as orders,
    cast(coalesce(value.revenue, 0) as decimal(14, 2)) as revenue,
    {{ kpi_frequency_band('value.orders') }} as frequency_band,
    rfm.segment as rfm_segment,
    preferences.language,
    preferences.top_interest_category,
    preferences.preferred_payment_type,
    preferences.preferred_channel,
    clv.predicted_clv,
    coalesce(
        clv.clv_rank <= ceil({{ var('strategic_clv_share') }} * clv.clv_customers), false
    ) as is_strategic
from customers
left join channels on channels.customer_key = customers.customer_key
left join categories on categories.customer_key = customers.customer_key
left join {{ ref('kpi_customer_value') }} as value on value.customer_key = customers.customer_key
left join {{ ref('customer_rfm') }} as rfm on rfm.customer_key = customers.customer_key
left join clv on clv.customer_key = customers.customer_key
left join {{ ref('int_customer_preferences') }} as preferences on preferences.customer_key = customers.customer_key
