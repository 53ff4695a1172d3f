-- Market-basket analysis of sale transactions: support, confidence and lift of product pairs
-- (formulas and the minimum support: _basket__models.yml).
with basket_items as (

    select distinct transaction_id, sku
    from {{ ref('fct_order_lines') }}
    where sku is not null

),

baskets as (

    select count(distinct transaction_id) as total_baskets from basket_items

),

item_baskets as (

    select sku, count(*) as baskets_with_sku from basket_items group by sku

),

pairs as (

    select a.sku as sku_a, b.sku as sku_b, count(*) as baskets_with_both
    from basket_items as a
    inner join basket_items as b
        on b.transaction_id = a.transaction_id
        and b.sku > a.sku
    group by a.sku, b.sku
    -- Minimum support as a basket count: rarer pairs are noise and would make the table ~20x larger.
    having count(*) >= {{ var('basket_min_pair_baskets', 5) }}

)

select
    pairs.sku_a,
    pairs.sku_b,
    pairs.baskets_with_both,
    item_a.baskets_with_sku as baskets_with_a,
    item_b.baskets_with_sku as baskets_with_b,
    baskets.total_baskets,
    {{ kpi_safe_ratio('pairs.baskets_with_both', 'baskets.total_baskets') }} as support,
    {{ kpi_safe_ratio('pairs.baskets_with_both', 'item_a.baskets_with_sku') }} as confidence_a_to_b,
    {{ kpi_safe_ratio('pairs.baskets_with_both', 'item_b.baskets_with_sku') }} as confidence_b_to_a,
    {{ kpi_safe_ratio('pairs.baskets_with_both * baskets.total_baskets',
                      'item_a.baskets_with_sku * item_b.baskets_with_sku') }} as lift
from pairs
cross join baskets
inner join item_baskets as item_a on item_a.sku = pairs.sku_a
inner join item_baskets as item_b on item_b.sku = pairs.sku_b
