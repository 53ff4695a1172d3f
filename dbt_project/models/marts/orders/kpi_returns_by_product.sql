-- Reverse logistics by product, category and reason over the whole history: returned units
-- against units sold of the product and of its category (formulas: _orders__models.yml).
with products as (

    select sku, product_name, category from {{ ref('dim_product') }}

),

returns as (

    select
        sku,
        coalesce(return_reason, 'unknown') as return_reason,
        count(*) as returns,
        coalesce(sum(quantity_returned), 0)::bigint as units,
        coalesce(sum(refund_amount), 0) as refund_value,
        count(*) filter (where damaged) as damaged_returns
    from {{ ref('fct_returns') }}
    group by all

),

sold as (

    select sku, sum(quantity)::bigint as units_sold from {{ ref('fct_order_lines') }} group by sku

),

category_sold as (

    select products.category, sum(sold.units_sold)::bigint as category_units_sold
    from sold
    inner join products on products.sku = sold.sku
    group by products.category

),

joined as (

    select
        returns.*,
        products.product_name,
        products.category,
        coalesce(sold.units_sold, 0) as units_sold,
        category_sold.category_units_sold,
        sum(returns.units) over (partition by products.category, returns.return_reason) as category_units
    from returns
    left join products on products.sku = returns.sku
    left join sold on sold.sku = returns.sku
    left join category_sold on category_sold.category = products.category

)

select
    sku,
    product_name,
    category,
    return_reason,
    returns,
    units,
    cast(refund_value as decimal(14, 2)) as refund_value,
    damaged_returns,
    units_sold,
    {{ kpi_safe_ratio('units', 'units_sold') }} as return_rate,
    category_units_sold,
    {{ kpi_safe_ratio('category_units', 'category_units_sold') }} as category_return_rate
from joined
