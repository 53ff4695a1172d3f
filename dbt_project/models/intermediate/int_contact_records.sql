-- One row per contact-bearing source record across the feeds: the input of identity resolution.
-- A record is contact-bearing when it carries a customer reference (account id, loyalty card or
-- a feed's own customer number, local_ref) or any contact column (after normalization: an
-- invalid phone or e-mail alone does not count).
-- Key: (source_system, source_record_id).

-- built before identity resolution, which reads it (Dagster's first dbt step)
{{ config(tags=['pre_identity']) }}

{%- set contact_columns = [
    'first_name', 'last_name', 'email', 'email_canonical', 'phone', 'address_line1',
    'address_line2', 'city', 'postcode', 'region', 'country', 'date_of_birth'
] %}
{#- any contact column set; date_of_birth cast so coalesce sees one type #}
{%- set any_contact = 'coalesce(' ~ (contact_columns[:-1] | join(', ')) ~ ', cast(date_of_birth as varchar))' %}

with web as (

    select
        'web' as source_system,
        event_id as source_record_id,
        occurred_at as observed_at,
        {{ contact_columns | join(', ') }},
        account_id,
        null::varchar as loyalty_card,
        null::varchar as local_ref,
        anonymous_id
    from {{ ref('stg_web__events') }}
    where account_id is not null or {{ any_contact }} is not null

),

pos as (

    -- one row per transaction: the contact values of its first line that carries any
    select
        'pos' as source_system,
        transaction_id as source_record_id,
        transaction_at as observed_at,
        {{ contact_columns | join(', ') }},
        account_id,
        loyalty_card,
        local_ref,
        null::varchar as anonymous_id
    from {{ ref('stg_pos__transaction_lines') }}
    where customer_ref is not null or {{ any_contact }} is not null
    qualify row_number() over (partition by transaction_id order by line_number) = 1

),

callcenter as (

    select
        'callcenter' as source_system,
        interaction_id as source_record_id,
        started_at as observed_at,
        {{ contact_columns | join(', ') }},
        account_id,
        loyalty_card,
        local_ref,
        null::varchar as anonymous_id
    from {{ ref('stg_callcenter__interactions') }}
    where customer_ref is not null or {{ any_contact }} is not null

),

response_list as (

    select
        'response_list' as source_system,
        response_id as source_record_id,
        responded_at as observed_at,
        {{ contact_columns | join(', ') }},
        null::varchar as account_id,
        null::varchar as loyalty_card,
        null::varchar as local_ref,
        null::varchar as anonymous_id
    from {{ ref('stg_response_list__responses') }}
    where {{ any_contact }} is not null

),

compiled_list as (

    -- bought records have no event time: observed when we loaded them
    select
        'compiled_list' as source_system,
        record_id as source_record_id,
        loaded_at as observed_at,
        {{ contact_columns | join(', ') }},
        null::varchar as account_id,
        null::varchar as loyalty_card,
        null::varchar as local_ref,
        null::varchar as anonymous_id
    from {{ ref('stg_compiled_list__records') }}
    where {{ any_contact }} is not null

),

unioned as (

    select * from web
    union all by name
    select * from pos
    union all by name
    select * from callcenter
    union all by name
    select * from response_list
    union all by name
    select * from compiled_list

)

select
    source_system,
    source_record_id,
    observed_at,
    {{ contact_columns | join(',\n    ') }},
    account_id,
    loyalty_card,
    local_ref,
    anonymous_id
from unioned
