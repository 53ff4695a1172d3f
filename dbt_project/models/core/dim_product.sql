-- Product dimension: one row per SKU sold at the POS or seen on the web site. Name and category
-- are the latest the POS sent; unit_price is the price of the latest sale line, unit_cost the
-- latest known cost. Price tiers rank the SKUs of a category by that price. SKUs only seen on
-- the web have no name, category or price. Key: product_key.

with lines as (

    select
        sku,
        product_name,
        category,
        unit_price,
        unit_cost,
        transaction_at,
        {{ pos_is_return_line() }} as is_return_line,
        -- latest line first: by time, then transaction and line for a deterministic tie
        {{ order_key(['transaction_at', 'transaction_id', 'line_number']) }} as line_order
    from {{ ref('stg_pos__transaction_lines') }}
    where sku is not null

),

sold as (

    select
        sku,
        {{ arg_max_of('product_name', 'line_order') }} as product_name,
        {{ arg_max_of('category', 'line_order') }} as category,
        {{ arg_max_of('unit_price', 'line_order') }} filter (where not is_return_line) as unit_price,
        {{ arg_max_of('unit_cost', 'line_order') }} as unit_cost,
        min(transaction_at) filter (where not is_return_line) as first_sold_at,
        max(transaction_at) filter (where not is_return_line) as last_sold_at
    from lines
    group by sku

),

viewed as (

    select distinct product_sku as sku
    from {{ ref('stg_web__events') }}
    where product_sku is not null

),

products as (

    select sku from sold
    union
    select sku from viewed

),

priced as (

    select
        products.sku,
        sold.product_name,
        sold.category,
        sold.unit_price,
        sold.unit_cost,
        sold.first_sold_at,
        sold.last_sold_at,
        -- 1 = the most expensive SKU of its category
        case when sold.unit_price is not null then dense_rank() over (
            partition by sold.category, sold.unit_price is null order by sold.unit_price desc
        ) end as price_rank_in_category,
        case when sold.unit_price is not null then ntile(3) over (
            partition by sold.category, sold.unit_price is null order by sold.unit_price desc, products.sku
        ) end as price_tercile
    from products
    left join sold on sold.sku = products.sku

)

select
    {{ surrogate_key(['sku']) }} as product_key,
    sku,
    product_name,
    category,
    cast(unit_price as decimal(12, 2)) as unit_price,
    cast(unit_cost as decimal(12, 2)) as unit_cost,
    cast(unit_price - unit_cost as decimal(12, 2)) as unit_margin,
    cast(price_rank_in_category as integer) as price_rank_in_category,
    case price_tercile when 1 then 'premium' when 2 then 'mid' when 3 then 'value' end as price_tier,
    first_sold_at,
    last_sold_at
from priced
