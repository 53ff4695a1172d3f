-- Loyalty members against non-members: one row per loyalty_status (member = the customer has
-- quoted a loyalty card, current golden record). customers = all current customers; buyers =
-- those with a sale up to kpi_as_of(); revenue and revenue_share = their revenue / all revenue;
-- retention_rate = buyers not churned (customer_churn) / buyers; repeat_rate = buyers with 2+
-- orders / buyers; avg_predicted_clv over the customers with a prediction. Key: loyalty_status.

with customers as (

    select
        segments.customer_key,
        segments.loyalty_status,
        segments.predicted_clv,
        segments.orders,
        segments.revenue,
        churn.is_churned
    from {{ ref('customer_segments') }} as segments
    left join {{ ref('customer_churn') }} as churn on churn.customer_key = segments.customer_key

)

select
    loyalty_status,
    cast(count(*) as integer) as customers,
    cast(count(*) filter (where orders > 0) as integer) as buyers,
    cast(sum(revenue) as decimal(14, 2)) as revenue,
    {{ kpi_safe_ratio('sum(revenue)', 'sum(sum(revenue)) over ()') }} as revenue_share,
    {{ kpi_safe_ratio('count(*) filter (where not is_churned)', 'count(is_churned)') }} as retention_rate,
    {{ kpi_safe_ratio('count(*) filter (where orders >= 2)', 'count(*) filter (where orders > 0)') }}
        as repeat_rate,
    avg(predicted_clv) as avg_predicted_clv
from customers
group by loyalty_status
