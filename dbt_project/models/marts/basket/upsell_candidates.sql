-- Up-sell candidates: per customer and category, the step up from the most expensive product they
-- bought to the best seller of the next price tier, for customers who may be contacted, with the
-- channel to use (rules: _basket__models.yml).
with channels as (

    {{ ops_preferred_channel() }}

),

products as (

    select
        sku,
        product_name,
        category,
        unit_price,
        price_tier,
        case price_tier when 'value' then 1 when 'mid' then 2 when 'premium' then 3 end as tier_level
    from {{ ref('dim_product') }}
    where category is not null and unit_price is not null and price_tier is not null

),

sales as (

    select customer_key, sku, quantity from {{ ref('fct_order_lines') }} where sku is not null

),

customer_top as (

    select bought.customer_key, products.*
    from (select distinct customer_key, sku from sales where customer_key is not null) as bought
    inner join products on products.sku = bought.sku
    qualify row_number() over (
        partition by bought.customer_key, products.category
        order by products.unit_price desc, products.sku
    ) = 1

),

-- Best seller by units of each tier of each category (ties: the dearer, then the SKU).
tier_best as (

    select products.*
    from products
    left join (select sku, sum(quantity) as units from sales group by sku) as sold on sold.sku = products.sku
    qualify row_number() over (
        partition by products.category, products.tier_level
        order by coalesce(sold.units, 0) desc, products.unit_price desc, products.sku
    ) = 1

)

select
    customer_top.customer_key,
    channels.channel,
    customer_top.category,
    customer_top.sku as bought_sku,
    customer_top.price_tier as bought_price_tier,
    customer_top.unit_price as bought_unit_price,
    tier_best.sku as upsell_sku,
    tier_best.product_name as upsell_product_name,
    tier_best.price_tier as upsell_price_tier,
    tier_best.unit_price as upsell_unit_price,
    cast(tier_best.unit_price - customer_top.unit_price as decimal(12, 2)) as price_difference
from customer_top
inner join channels on channels.customer_key = customer_top.customer_key
inner join tier_best
    on tier_best.category = customer_top.category
    and tier_best.tier_level = customer_top.tier_level + 1
    and tier_best.unit_price > customer_top.unit_price
