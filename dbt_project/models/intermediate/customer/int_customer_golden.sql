-- The golden record of every customer as of each date on which one of its records was observed
-- (end of that date, UTC): the input of core.dim_customer, which collapses unchanged dates into
-- SCD2 versions. Rebuilt from the records alone, so history is reproducible from raw.
--
-- Survivorship, per field: among the customer's records observed up to the date that carry a
-- value, the record of the highest-priority source wins, the most recent one within a priority
-- (then source_system, source_record_id, so ties are deterministic). Priority: records with an
-- account id (web logins, POS / call-center records quoting the account) > pos > callcenter >
-- web forms without account > response_list > compiled_list. The postal address (line 1, line 2,
-- city, postcode) survives as one block from one record, so lines of two addresses never mix;
-- region and country survive per field. Consent per channel comes from response-list records
-- only, the latest answer winning; compiled lists never give consent. Key: (customer_key, as_of_date).
-- Incremental by customer (macros/core/customer_incremental.sql): a customer's golden history
-- depends on its own records only, so a run rebuilds the customers in changed_customer_keys.
{{
    config(
        materialized=incremental_materialization(),
        incremental_strategy='delete+insert',
        unique_key='customer_key',
        on_schema_change='append_new_columns',
        post_hook="{{ drop_retired_customers() }}"
    )
}}
{{ incremental_fact_depends_on() }}

{%- set source_priority = {'pos': 2, 'callcenter': 3, 'web': 4, 'response_list': 5, 'compiled_list': 6} %}
{%- set fields = ['first_name', 'last_name', 'email', 'phone', 'region', 'country', 'date_of_birth',
                  'account_id', 'loyalty_card'] %}
{%- set address = ['address_line1', 'address_line2', 'city', 'postcode'] %}
{%- set consents = ['consent_email', 'consent_sms', 'consent_phone', 'consent_mail'] %}

{#- nulls last spelled out: DuckDB's default for ascending orders, Spark's is nulls first #}
with customer_records as (

    select * from {{ ref('int_customer_records') }}
    where customer_key is not null and {{ in_customer_batch('customer_key') }}

),

records as (

    select
        *,
        cast(observed_at as date) as as_of_date,
        -- the customer's records in survivorship order, best first
        row_number() over (
            partition by customer_key
            order by
                case
                    when account_id is not null then 1
                    {%- for system, priority in source_priority.items() %}
                    when source_system = '{{ system }}' then {{ priority }}
                    {%- endfor %}
                end,
                observed_at desc,
                source_system,
                source_record_id
        ) as survivorship_rank
    from customer_records

),

-- Consent answers: response-list records only, latest first. Ranked apart from the survivorship
-- order because a window over every record is a sort of all of them (20M rows at 1M customers,
-- about a third of this model's time); response lists are 71k of them.
consent_answers as (

    select
        customer_key,
        cast(observed_at as date) as as_of_date,
        {{ consents | join(', ') }},
        row_number() over (
            partition by customer_key order by observed_at desc, source_record_id
        ) as recency_rank
    from customer_records
    where source_system = 'response_list'

),

daily_consents as (

    select
        customer_key,
        as_of_date,
        {%- for consent in consents %}
        {{ arg_min_of(consent, 'recency_rank') }} filter (where {{ consent }} is not null) as {{ consent }},
        min(recency_rank) filter (where {{ consent }} is not null) as {{ consent }}__rank
        {{- ',' if not loop.last }}
        {%- endfor %}
    from consent_answers
    group by customer_key, as_of_date

),

daily as (

    -- per customer and date: the best value of the date's records, with the rank that won
    select
        customer_key,
        as_of_date,
        {%- for field in fields %}
        {{ arg_min_of(field, 'survivorship_rank') }} filter (where {{ field }} is not null) as {{ field }},
        min(survivorship_rank) filter (where {{ field }} is not null) as {{ field }}__rank,
        {%- endfor %}
        {{ arg_min_of(struct_of(address), 'survivorship_rank') }}
            filter (where address_line1 is not null or postcode is not null) as address,
        min(survivorship_rank)
            filter (where address_line1 is not null or postcode is not null) as address__rank
    from records
    group by customer_key, as_of_date

),

daily_with_consents as (

    select daily.*, {% for consent in consents -%}
        daily_consents.{{ consent }}, daily_consents.{{ consent }}__rank{{ ', ' if not loop.last }}
    {%- endfor %}
    from daily
    left join daily_consents using (customer_key, as_of_date)

),

as_of as (

    -- running survivorship: the best value of all dates up to this one
    select
        customer_key,
        as_of_date,
        {%- for field in fields + ['address'] + consents %}
        {{ arg_min_of(field, field ~ '__rank') }} over history as {{ field }}{{ ',' if not loop.last }}
        {%- endfor %}
    from daily_with_consents
    window history as (
        partition by customer_key order by as_of_date nulls last rows between unbounded preceding and current row
    )

)

select
    customer_key,
    as_of_date,
    first_name,
    last_name,
    email,
    phone,
    {%- for column in address %}
    address.{{ column }} as {{ column }},
    {%- endfor %}
    region,
    country,
    date_of_birth,
    account_id,
    loyalty_card,
    loyalty_card is not null as is_loyalty_member,
    {{ consents | join(',\n    ') }},
    {{ fact_built_at() }} as _built_at
from as_of
