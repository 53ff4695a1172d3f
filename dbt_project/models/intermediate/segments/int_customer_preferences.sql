-- Grain: one row per customer (customer_key) with any of the attributes below, up to kpi_as_of().
-- language: the language part of the browser locale (fct_web_events.locale, 'de' of de-DE,
-- lower-cased) the customer's web events carry most often; top_interest_category: the product
-- category (dim_product) the customer viewed or put in the cart most often on the web;
-- top_interest_sku: the product of that category they viewed most; product_views: their product
-- views and add-to-carts of catalogue products (dim_product), the evidence of both;
-- preferred_payment_type: the POS payment type of most of the customer's orders
-- (fct_order_lines.payment_type, orders = distinct transactions); preferred_channel: the sales
-- channel (channel_key: store, online, phone_order) of most of their orders. Ties: the
-- alphabetically first value. Null when the customer has no such evidence. Key: customer_key.

{%- set as_of = kpi_as_of() %}

with languages as (

    select customer_key, lower(split_part(locale, '-', 1)) as value, count(*) as weight
    from {{ ref('fct_web_events') }}
    where customer_key is not null
        and {{ regex_full_match("lower(split_part(locale, '-', 1))", "'[a-z]{2,3}'") }}
        and cast(occurred_at as date) <= {{ as_of }}
    group by all

),

product_views as (

    select events.customer_key, products.category, products.sku, count(*) as views
    from {{ ref('fct_web_events') }} as events
    inner join {{ ref('dim_product') }} as products on products.product_key = events.product_key
    where events.customer_key is not null
        and events.event_type in ('product_view', 'add_to_cart')
        and cast(events.occurred_at as date) <= {{ as_of }}
    group by all

),

interests as (

    select customer_key, category as value, sum(views) as weight
    from product_views
    where category is not null
    group by all

),

orders as (

    select distinct customer_key, transaction_id, payment_type, channel_key
    from {{ ref('fct_order_lines') }}
    where customer_key is not null
        and cast(transaction_at as date) <= {{ as_of }}

),

payments as (

    select customer_key, payment_type as value, count(distinct transaction_id) as weight
    from orders
    where payment_type is not null
    group by all

),

channels as (

    select customer_key, channel_key as value, count(distinct transaction_id) as weight
    from orders
    where channel_key is not null
    group by all

),

{%- set attributes = {
    'language': 'languages',
    'top_interest_category': 'interests',
    'preferred_payment_type': 'payments',
    'preferred_channel': 'channels',
} %}
{%- for attribute, cte in attributes.items() %}

{{ attribute }}_top as (

    select customer_key, value
    from {{ cte }}
    qualify row_number() over (partition by customer_key order by weight desc, value) = 1

),
{%- endfor %}

-- The product of the top interest category viewed most (ties: the smaller SKU).
interest_products as (

    select views.customer_key, views.sku as top_interest_sku
    from product_views as views
    inner join top_interest_category_top as top_category
        on top_category.customer_key = views.customer_key and top_category.value = views.category
    qualify row_number() over (partition by views.customer_key order by views.views desc, views.sku) = 1

),

viewed as (

    select customer_key, cast(sum(views) as integer) as product_views
    from product_views
    group by customer_key

),

customers as (

    {%- for cte in attributes.values() %}
    {% if not loop.first %}union{% endif %}
    select customer_key from {{ cte }}
    {%- endfor %}
    union
    select customer_key from product_views

)

select
    customers.customer_key
    {%- for attribute in attributes %},
    {{ attribute }}_top.value as {{ attribute }}
    {%- endfor %},
    interest_products.top_interest_sku,
    coalesce(viewed.product_views, 0) as product_views
from customers
{%- for attribute in attributes %}
left join {{ attribute }}_top on {{ attribute }}_top.customer_key = customers.customer_key
{%- endfor %}
left join interest_products on interest_products.customer_key = customers.customer_key
left join viewed on viewed.customer_key = customers.customer_key
