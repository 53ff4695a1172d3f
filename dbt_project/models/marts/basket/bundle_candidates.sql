-- Bundle candidates: product pairs bought together clearly more often than chance and often
-- enough to matter, with the combined price (thresholds: _basket__models.yml).
select
    pairs.sku_a,
    pairs.sku_b,
    product_a.product_name as product_name_a,
    product_b.product_name as product_name_b,
    product_a.category as category_a,
    product_b.category as category_b,
    pairs.baskets_with_both,
    pairs.support,
    pairs.confidence_a_to_b,
    pairs.confidence_b_to_a,
    pairs.lift,
    product_a.unit_price as unit_price_a,
    product_b.unit_price as unit_price_b,
    cast(product_a.unit_price + product_b.unit_price as decimal(12, 2)) as combined_price
from {{ ref('kpi_product_pairs') }} as pairs
left join {{ ref('dim_product') }} as product_a on product_a.sku = pairs.sku_a
left join {{ ref('dim_product') }} as product_b on product_b.sku = pairs.sku_b
where pairs.lift > 1
    and pairs.support >= {{ var('bundle_min_support', 0.002) }}
