-- Sales leads: one row per person who came in through a lead source (bought compiled list,
-- campaign response, web sign-up) before any purchase, with the first source, the interest
-- shown on the web, the telesales calls and the status new / contacted / converted / lost as of
-- kpi_as_of() (rules: _sales__models.yml, docs/kpis.md). Key: customer_key.
with as_of as (

    select {{ kpi_as_of() }} as as_of_date

),

-- A bought list has no event time: first seen on the delivery date in its file name
-- (<vendor>_<list>_<yyyy-mm-dd>.csv), else when it was loaded.
lead_events as (

    select
        identity_map.customer_key,
        'compiled_list' as lead_source,
        records.vendor || '/' || records.list_id as source_detail,
        coalesce(
            {{ try_parse_iso_date("regexp_extract(records.source_file, '([0-9]{4}-[0-9]{2}-[0-9]{2})', 1)") }},
            records.loaded_at
        ) as seen_at
    from {{ ref('stg_compiled_list__records') }} as records
    inner join {{ source('core', 'customer_identity_map') }} as identity_map
        on identity_map.source_system = 'compiled_list' and identity_map.source_record_id = records.record_id
    union all
    select customer_key, 'campaign_response', campaign_id, responded_at
    from {{ ref('fct_campaign_responses') }}
    where customer_key is not null
    union all
    select customer_key, 'web_signup', null, occurred_at
    from {{ ref('fct_web_events') }}
    where customer_key is not null and event_type = 'signup'

),

first_leads as (

    select
        events.customer_key,
        {{ arg_min_by('events.lead_source', ['events.seen_at', 'events.lead_source', 'events.source_detail']) }} as lead_source,
        {{ arg_min_by('events.source_detail', ['events.seen_at', 'events.lead_source', 'events.source_detail']) }} as source_detail,
        min(events.seen_at) as first_seen_at,
        count(distinct events.lead_source) as lead_sources,
        any_value(as_of.as_of_date) as as_of_date
    from lead_events as events
    cross join as_of
    where events.customer_key is not null and cast(events.seen_at as date) <= as_of.as_of_date
    group by events.customer_key

),

-- Prospects when they came in: no sale before the first lead event. converted_at: the first
-- sale from the first lead event to the as-of day.
leads as (

    select
        first_leads.*,
        min(sales.transaction_at) filter (
            where cast(sales.transaction_at as date) <= first_leads.as_of_date
        ) as converted_at
    from first_leads
    left join {{ ref('fct_order_lines') }} as sales on sales.customer_key = first_leads.customer_key
    group by all
    having count(sales.transaction_at) filter (where sales.transaction_at < first_leads.first_seen_at) = 0

),

calls as (

    select
        leads.customer_key,
        count(*) as call_attempts,
        min(contacts.started_at) filter (where contacts.answered_at is not null) as first_contacted_at,
        max(contacts.started_at) as last_call_at,
        {{ arg_max_by('contacts.outcome', ['contacts.started_at', 'contacts.interaction_id']) }} as last_call_outcome
    from leads
    inner join {{ ref('fct_interactions') }} as contacts on contacts.customer_key = leads.customer_key
    where contacts.direction = 'outbound' and contacts.queue = 'telesales'
        and contacts.started_at >= leads.first_seen_at
        and cast(contacts.started_at as date) <= leads.as_of_date
    group by leads.customer_key

)

select
    leads.customer_key,
    leads.lead_source,
    leads.source_detail,
    cast(leads.lead_sources as integer) as lead_sources,
    leads.first_seen_at,
    interest.top_interest_category as interest_category,
    interest.top_interest_sku as interest_sku,
    coalesce(interest.product_views, 0) as product_views,
    cast(coalesce(calls.call_attempts, 0) as integer) as call_attempts,
    calls.first_contacted_at,
    calls.last_call_at,
    calls.last_call_outcome,
    leads.converted_at,
    case
        when leads.converted_at is not null then 'converted'
        when cast(calls.first_contacted_at as date) + {{ var('lead_lost_days') }} <= leads.as_of_date then 'lost'
        when calls.first_contacted_at is not null then 'contacted'
        else 'new'
    end as status,
    case
        when leads.converted_at is not null then cast(leads.converted_at as date)
        when cast(calls.first_contacted_at as date) + {{ var('lead_lost_days') }} <= leads.as_of_date
            then cast(calls.first_contacted_at as date) + {{ var('lead_lost_days') }}
        else cast(coalesce(calls.first_contacted_at, leads.first_seen_at) as date)
    end as status_date,
    leads.as_of_date
from leads
left join calls on calls.customer_key = leads.customer_key
-- interest shown on the web: one rule for segments and leads (int_customer_preferences)
left join {{ ref('int_customer_preferences') }} as interest on interest.customer_key = leads.customer_key
