-- Size and value of the RFM segments: one row per segment with at least one customer
-- (customer_rfm). customer_share = customers / all scored customers; revenue = sum of monetary;
-- averages are plain means over the segment's customers. Key: segment.

select
    segment,
    cast(count(*) as integer) as customers,
    {{ kpi_safe_ratio('count(*)', 'sum(count(*)) over ()') }} as customer_share,
    cast(sum(monetary) as decimal(14, 2)) as revenue,
    {{ kpi_safe_ratio('sum(monetary)', 'sum(sum(monetary)) over ()') }} as revenue_share,
    avg(recency_days) as avg_recency_days,
    avg(frequency) as avg_frequency,
    -- the mean of doubles: Spark's avg of a decimal keeps 6 decimals, DuckDB's is a double
    avg(cast(monetary as double)) as avg_monetary
from {{ ref('customer_rfm') }}
group by segment
