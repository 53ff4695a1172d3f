-- Next-best offer per customer: the product most associated (highest lift) with something the
-- customer bought that they have not bought yet (rules: _basket__models.yml).
with bought as (

    select distinct customer_key, sku
    from {{ ref('fct_order_lines') }}
    where customer_key is not null and sku is not null

),

-- Each pair read in both directions: bought one, offer the other.
rules as (

    select sku_a as from_sku, sku_b as to_sku, lift, confidence_a_to_b as confidence
    from {{ ref('kpi_product_pairs') }}
    where lift > 1
    union all
    select sku_b, sku_a, lift, confidence_b_to_a
    from {{ ref('kpi_product_pairs') }}
    where lift > 1

),

candidates as (

    select
        bought.customer_key,
        rules.to_sku as offer_sku,
        rules.from_sku as because_of_sku,
        rules.lift,
        rules.confidence
    from bought
    inner join rules on rules.from_sku = bought.sku
    where not exists (
        select 1 from bought as owned
        where owned.customer_key = bought.customer_key and owned.sku = rules.to_sku
    )
    -- Ties: the more likely purchase (confidence), then SKUs alphabetically, for a stable answer.
    qualify row_number() over (
        partition by bought.customer_key
        order by rules.lift desc, rules.confidence desc, rules.to_sku, rules.from_sku
    ) = 1

)

select
    candidates.customer_key,
    candidates.offer_sku,
    candidates.because_of_sku,
    candidates.lift,
    candidates.confidence,
    products.product_name as offer_product_name,
    products.category as offer_category,
    products.unit_price as offer_unit_price
from candidates
left join {{ ref('dim_product') }} as products on products.sku = candidates.offer_sku
