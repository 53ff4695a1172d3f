-- Outbound campaigns: response, conversion and lift of the treatment cell against the hold-out
-- control cell, measured on customers (formulas and choices: _campaigns__models.yml).
with campaigns as (

    select campaign_key, campaign_id, campaign_name, campaign_channel, launched_at, campaign_cost
    from {{ ref('dim_campaign') }}
    where campaign_type = 'outbound'

),

-- One row per campaign and customer; several accounts of one customer make it treatment when any
-- account was, the rule fct_campaign_responses.audience_cell follows. Unknown accounts have no
-- customer and so no purchases to observe: left out of both cells.
audience as (

    select campaign_key, customer_key, bool_or(is_treatment) as is_treatment
    from {{ ref('fct_campaign_audience') }}
    where customer_key is not null
    group by campaign_key, customer_key

),

responders as (

    select distinct campaign_key, customer_key
    from {{ ref('fct_campaign_responses') }}
    where customer_key is not null

),

-- Both cells measured the same way: any purchase after launch, within the window; its net sales.
converters as (

    select audience.campaign_key, audience.customer_key, sum(sales.amount) as revenue
    from audience
    inner join campaigns on campaigns.campaign_key = audience.campaign_key
    inner join {{ ref('fct_order_lines') }} as sales
        on sales.customer_key = audience.customer_key
        and sales.transaction_at > campaigns.launched_at
        and sales.transaction_at <= {{ timestamp_add_days('campaigns.launched_at', var('conversion_window_days')) }}
    group by audience.campaign_key, audience.customer_key

),

cells as (

    select
        audience.campaign_key,
        count(*) filter (where audience.is_treatment) as treatment_customers,
        count(*) filter (where not audience.is_treatment) as control_customers,
        count(responders.customer_key) filter (where audience.is_treatment) as treatment_responders,
        count(responders.customer_key) filter (where not audience.is_treatment) as control_responders,
        count(converters.customer_key) filter (where audience.is_treatment) as treatment_converters,
        count(converters.customer_key) filter (where not audience.is_treatment) as control_converters,
        sum(converters.revenue) filter (where audience.is_treatment) as treatment_revenue,
        sum(converters.revenue) filter (where not audience.is_treatment) as control_revenue
    from audience
    left join responders
        on responders.campaign_key = audience.campaign_key
        and responders.customer_key = audience.customer_key
    left join converters
        on converters.campaign_key = audience.campaign_key
        and converters.customer_key = audience.customer_key
    group by audience.campaign_key

),

rates as (

    select
        campaigns.*,
        coalesce(cells.treatment_customers, 0) as treatment_customers,
        coalesce(cells.control_customers, 0) as control_customers,
        coalesce(cells.treatment_responders, 0) as treatment_responders,
        coalesce(cells.control_responders, 0) as control_responders,
        coalesce(cells.treatment_converters, 0) as treatment_converters,
        coalesce(cells.control_converters, 0) as control_converters,
        coalesce(cells.treatment_revenue, 0) as treatment_revenue,
        coalesce(cells.control_revenue, 0) as control_revenue,
        {{ kpi_safe_ratio('cells.treatment_responders', 'cells.treatment_customers') }}
            as treatment_response_rate,
        {{ kpi_safe_ratio('cells.control_responders', 'cells.control_customers') }} as control_response_rate,
        {{ kpi_safe_ratio('cells.treatment_converters', 'cells.treatment_customers') }}
            as treatment_conversion_rate,
        {{ kpi_safe_ratio('cells.control_converters', 'cells.control_customers') }}
            as control_conversion_rate
    from campaigns
    left join cells on cells.campaign_key = campaigns.campaign_key

)

select
    campaign_id,
    campaign_name,
    campaign_channel,
    launched_at,
    treatment_customers,
    control_customers,
    treatment_responders,
    control_responders,
    treatment_response_rate,
    control_response_rate,
    treatment_response_rate - control_response_rate as response_rate_difference,
    {{ kpi_safe_ratio('treatment_response_rate', 'control_response_rate') }} as response_lift,
    treatment_converters,
    control_converters,
    treatment_conversion_rate,
    control_conversion_rate,
    treatment_conversion_rate - control_conversion_rate as conversion_rate_difference,
    {{ kpi_safe_ratio('treatment_conversion_rate', 'control_conversion_rate') }} as conversion_lift,
    (treatment_conversion_rate - control_conversion_rate) * treatment_customers as incremental_conversions,
    -- The whole window lies on or before the as-of day: later campaigns still gather conversions.
    {{ timestamp_add_days('launched_at', var('conversion_window_days')) }} < {{ kpi_as_of() }} + 1
        as conversion_window_closed,
    cast(treatment_revenue as decimal(14, 2)) as treatment_revenue,
    cast(control_revenue as decimal(14, 2)) as control_revenue,
    campaign_cost
from rates
