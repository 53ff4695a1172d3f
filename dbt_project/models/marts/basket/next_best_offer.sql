-- Next-best offer per customer: the product most associated (highest lift) with something the
-- customer bought that they have not bought yet, for customers who may be contacted, with the
-- channel to use (rules: _basket__models.yml).
with channels as (

    {{ ops_preferred_channel() }}

),

bought as (

    select distinct lines.customer_key, lines.sku
    from {{ ref('fct_order_lines') }} as lines
    where lines.sku is not null
        and lines.customer_key in (select customer_key from channels)

),

-- The basket size rides on each bought row, so the cut below is a filter of the join on SKU;
-- as a join of its own the planner paired every customer with every rule first.
bought_sized as (

    select customer_key, sku, count(*) over (partition by customer_key) as basket_size
    from bought

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

-- The offer order, once for all customers: lift, then the more likely purchase (confidence),
-- then SKUs alphabetically, for a stable answer.
ranked_rules as (

    select
        *,
        row_number() over (order by lift desc, confidence desc, to_sku, from_sku) as offer_rank,
        row_number() over (partition by from_sku order by lift desc, confidence desc, to_sku) as rank_from_sku
    from rules

),

-- A customer with n SKUs owns n - 1 besides any one they bought, so among the first n rules
-- from that SKU (n different offers) one is not owned yet: later rules can never win. This
-- cut keeps the join near sum(n^2) rows (40M at 1M customers) instead of every rule of every
-- SKU bought (~360M, 168 s of the 1M build).
best as (

    select bought_sized.customer_key, min(rules.offer_rank) as offer_rank
    from bought_sized
    inner join ranked_rules as rules
        on rules.from_sku = bought_sized.sku and rules.rank_from_sku <= bought_sized.basket_size
    where not exists (
        select 1 from bought as owned
        where owned.customer_key = bought_sized.customer_key and owned.sku = rules.to_sku
    )
    group by bought_sized.customer_key

)

select
    best.customer_key,
    channels.channel,
    rules.to_sku as offer_sku,
    rules.from_sku as because_of_sku,
    rules.lift,
    rules.confidence,
    products.product_name as offer_product_name,
    products.category as offer_category,
    products.unit_price as offer_unit_price
from best
inner join channels on channels.customer_key = best.customer_key
inner join ranked_rules as rules on rules.offer_rank = best.offer_rank
left join {{ ref('dim_product') }} as products on products.sku = rules.to_sku
