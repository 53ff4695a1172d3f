-- Defection analysis: what churned customers experienced before leaving, against retained
-- customers. One row per experience. Population: customer_churn; an experience counts when it
-- happened on or before the churn_date (churned) or kpi_as_of() (retained). Experiences:
-- had_return, damaged_return, late_delivery (shipped line with on_time false),
-- unresolved_contact (answered, resolved false), low_csat (<= 2), long_wait (phone or chat
-- answered after > 120 s; e-mail waits are reply times of hours), abandoned_contact (call or
-- chat), any_bad_experience (any of them). *_rate = customers with it / customers of the group;
-- ratio = churned_rate / retained_rate. Churned customers bought less (fewer chances for a bad
-- experience), so *_per_100_orders = events / orders of the group x 100 and per_order_ratio
-- compare per order. Ratios are NULL when the denominator is 0. Key: experience.

{%- set experience_names = ['had_return', 'damaged_return', 'late_delivery', 'unresolved_contact',
                            'low_csat', 'long_wait', 'abandoned_contact', 'any_bad_experience'] %}
{%- set experience_literals = [] %}
{%- for name in experience_names %}{% do experience_literals.append("'" ~ name ~ "'") %}{% endfor %}

with customers as (

    select customer_key, orders, is_churned, coalesce(churn_date, {{ kpi_as_of() }}) as observed_until
    from {{ ref('customer_churn') }}

),

events as (

    select customer_key, cast(returned_at as date) as happened_on, 'had_return' as experience
    from {{ ref('fct_returns') }}
    union all
    select customer_key, cast(returned_at as date), 'damaged_return'
    from {{ ref('fct_returns') }}
    where damaged
    union all
    select customer_key, cast(delivered_at as date), 'late_delivery'
    from {{ ref('fct_order_lines') }}
    where not on_time
    union all
    select customer_key, happened_on, experience
    from (
        select
            customer_key,
            cast(started_at as date) as happened_on,
            {{ unnest_list(list_of([
                "case when not resolved then 'unresolved_contact' end",
                "case when csat <= 2 then 'low_csat' end",
                "case when channel in ('phone', 'chat') and wait_seconds > 120 then 'long_wait' end",
                "case when abandoned then 'abandoned_contact' end",
            ])) }} as experience
        from {{ ref('fct_interactions') }}
    )
    where experience is not null

),

flags as (

    -- every experience event also counts once towards any_bad_experience
    select
        customers.customer_key,
        customers.is_churned,
        {{ unnest_list(list_of(['events.experience', "'any_bad_experience'"])) }} as experience
    from customers
    inner join events
        on events.customer_key = customers.customer_key and events.happened_on <= customers.observed_until

),

populations as (

    select
        count(*) filter (where is_churned) as churned_customers,
        count(*) filter (where not is_churned) as retained_customers,
        sum(orders) filter (where is_churned) as churned_orders,
        sum(orders) filter (where not is_churned) as retained_orders
    from customers

),

counts as (

    select
        experience.name as experience,
        count(distinct flags.customer_key) filter (where flags.is_churned) as churned_customers_with,
        count(distinct flags.customer_key) filter (where not flags.is_churned) as retained_customers_with,
        count(flags.customer_key) filter (where flags.is_churned) as churned_events,
        count(flags.customer_key) filter (where not flags.is_churned) as retained_events
    from (
        select {{ unnest_list(list_of(experience_literals)) }} as name
    ) as experience
    left join flags on flags.experience = experience.name
    group by experience.name

),

rates as (

    select
        counts.*,
        populations.*,
        {{ kpi_safe_ratio('churned_customers_with', 'churned_customers') }} as churned_rate,
        {{ kpi_safe_ratio('retained_customers_with', 'retained_customers') }} as retained_rate,
        100 * {{ kpi_safe_ratio('churned_events', 'churned_orders') }} as churned_per_100_orders,
        100 * {{ kpi_safe_ratio('retained_events', 'retained_orders') }} as retained_per_100_orders
    from counts
    cross join populations

)

select
    experience,
    cast(churned_customers as integer) as churned_customers,
    cast(churned_customers_with as integer) as churned_customers_with,
    churned_rate,
    cast(retained_customers as integer) as retained_customers,
    cast(retained_customers_with as integer) as retained_customers_with,
    retained_rate,
    {{ kpi_safe_ratio('churned_rate', 'retained_rate') }} as ratio,
    churned_per_100_orders,
    retained_per_100_orders,
    {{ kpi_safe_ratio('churned_per_100_orders', 'retained_per_100_orders') }} as per_order_ratio
from rates
