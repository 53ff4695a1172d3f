-- One row per customer (its current golden record in core.dim_customer): coarse profile (region,
-- country, postcode district, age band; no name, contact, address, birth date or account id:
-- those stay in core.dim_customer), consent and loyalty, first and last touch overall and per
-- channel family, activity totals across every channel (intermediate.int_customer_activity) and
-- the source records identity resolution merged into the customer. Counts are 0, not null, for
-- customers without that activity. Key: customer_key.
-- Incremental by customer (macros/core/customer_incremental.sql): a run rebuilds the customers in
-- changed_customer_keys, those with new touchpoints and those whose activity totals changed.
{{
    config(
        materialized=incremental_materialization(),
        incremental_strategy='delete+insert',
        unique_key='customer_key',
        on_schema_change='append_new_columns',
        pre_hook="{{ drop_undeclared_columns() }}",
        post_hook="{{ drop_retired_customers() }}"
    )
}}
{{ incremental_fact_depends_on() }}
{{ customer_360_depends_on() }}

{%- set families = ['web', 'store', 'remote_order', 'callcenter', 'campaign'] %}
{%- set systems = ['web', 'pos', 'callcenter', 'response_list', 'compiled_list'] %}
{%- set profile = [
    'region', 'country', 'is_loyalty_member', 'consent_email', 'consent_sms', 'consent_phone', 'consent_mail'
] %}
{%- set activity = [
    'orders', 'order_value', 'avg_order_value', 'order_margin', 'first_order_at', 'last_order_at',
    'returns', 'return_value', 'web_sessions', 'converted_web_sessions', 'last_web_session_at',
    'interactions', 'abandoned_interactions', 'avg_csat', 'last_nps', 'campaigns_received',
    'campaigns_held_out', 'campaign_responses', 'last_response_at'
] %}
{#- totals that are 0, not null, for a customer without that activity #}
{%- set totals = [
    'orders', 'order_value', 'returns', 'return_value', 'web_sessions', 'converted_web_sessions',
    'interactions', 'abandoned_interactions', 'campaigns_received', 'campaigns_held_out',
    'campaign_responses'
] %}

with batch as (

    select customer_key from {{ ref('dim_customer') }}
    where is_current
    {%- if is_incremental() %}
        and customer_key in {{ customer_360_changed_keys(fact_watermark(), activity, totals) }}
    {%- endif %}

),

lineage as (

    select
        customer_key,
        {{ sorted_distinct_list('source_system') }} as source_systems,
        {%- for system in systems %}
        count(*) filter (where source_system = '{{ system }}') as {{ system }}_records,
        {%- endfor %}
        min(match_probability) as min_match_probability
    from {{ ref('int_customer_records') }}
    where customer_key in (select customer_key from batch)
    group by customer_key

),

touches as (

    select
        touchpoints.customer_key,
        min(touchpoints.touched_at) as first_touch_at,
        max(touchpoints.touched_at) as last_touch_at,
        {{ arg_min_by('touchpoints.channel_key', ['touchpoints.touched_at', 'touchpoints.touchpoint_key']) }}
            as first_touch_channel,
        {{ arg_max_by('touchpoints.channel_key', ['touchpoints.touched_at', 'touchpoints.touchpoint_key']) }}
            as last_touch_channel,
        {%- for family in families %}
        min(touchpoints.touched_at) filter (where channels.channel_family = '{{ family }}')
            as first_{{ family }}_touch_at,
        max(touchpoints.touched_at) filter (where channels.channel_family = '{{ family }}')
            as last_{{ family }}_touch_at,
        {%- endfor %}
        count(*) as touchpoints
    from {{ ref('fct_touchpoints') }} as touchpoints
    inner join {{ ref('dim_channel') }} as channels on channels.channel_key = touchpoints.channel_key
    where touchpoints.customer_key in (select customer_key from batch)
    group by touchpoints.customer_key

)

select
    customers.customer_key,
    customers.customer_sk,
    {%- for column in profile %}
    customers.{{ column }},
    {%- endfor %}
    {{ postcode_district('customers.postcode') }} as postcode_district,
    {{ kpi_age_band(kpi_age_years('customers.date_of_birth')) }} as age_band,
    customers.valid_from as profile_valid_from,
    customers.version_number as profile_versions,
    touches.first_touch_at,
    touches.last_touch_at,
    touches.first_touch_channel,
    touches.last_touch_channel,
    {%- for family in families %}
    touches.first_{{ family }}_touch_at,
    touches.last_{{ family }}_touch_at,
    {%- endfor %}
    cast(coalesce(touches.touchpoints, 0) as integer) as touchpoints,
    {%- for column in activity %}
    {% if column in totals -%}
    coalesce(activity.{{ column }}, 0) as {{ column }},
    {%- else -%}
    activity.{{ column }},
    {%- endif %}
    {%- endfor %}
    lineage.source_systems,
    {%- for system in systems %}
    cast(lineage.{{ system }}_records as integer) as {{ system }}_records,
    {%- endfor %}
    lineage.min_match_probability,
    {{ fact_built_at() }} as _built_at
from {{ ref('dim_customer') }} as customers
left join lineage on lineage.customer_key = customers.customer_key
left join touches on touches.customer_key = customers.customer_key
left join {{ ref('int_customer_activity') }} as activity on activity.customer_key = customers.customer_key
where customers.is_current
    and customers.customer_key in (select customer_key from batch)
