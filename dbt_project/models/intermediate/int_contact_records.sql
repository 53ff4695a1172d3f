-- One row per contact-bearing source record across the feeds: the input of identity resolution.
-- A record is contact-bearing when it carries a customer reference (account id, loyalty card or
-- a feed's own customer number, local_ref) or any contact column (after normalization: an
-- invalid phone or e-mail alone does not count).
-- Key: (source_system, source_record_id).
--
-- Incremental (20M records at 1M customers): a run restates the records of staging rows loaded at
-- or after the newest load here (new, late and corrected records; POS: the whole transaction of a
-- touched line), and the POS and call-centre records whose customer_ref the current patterns
-- classify otherwise. A restated record that no longer bears any contact becomes a tombstone row
-- (replacing the old one), which the post-hook deletes: the table then holds what a full build does.
-- Built before identity resolution, which reads it (Dagster's first dbt step).
{{
    config(
        tags=['pre_identity'],
        materialized=incremental_materialization(),
        incremental_strategy='delete+insert',
        unique_key=['source_system', 'source_record_id'],
        on_schema_change='append_new_columns',
        post_hook="{% if is_incremental() %}delete from {{ this }} where not ({{ contact_bearing() }}){% endif %}"
    )
}}

{%- set contact_columns = [
    'first_name', 'last_name', 'email', 'email_canonical', 'phone', 'address_line1',
    'address_line2', 'city', 'postcode', 'region', 'country', 'date_of_birth'
] %}
{#- any contact column set; date_of_birth cast so coalesce sees one type #}
{%- set any_contact = 'coalesce(' ~ (contact_columns[:-1] | join(', ')) ~ ', cast(date_of_birth as string))' %}
{%- set new_rows -%}
    {%- if is_incremental() -%}
    loaded_at >= {{ watermark('loaded_at') }}
    {%- else -%} true {%- endif -%}
{%- endset %}
{#- by name: the tombstones of incremental runs have only the key columns #}
{%- set by_name = ' by name' if is_incremental() else '' %}
{%- set feeds = [
    ('web', 'event_id', ref('stg_web__events')),
    ('pos', 'transaction_id', ref('stg_pos__transaction_lines')),
    ('callcenter', 'interaction_id', ref('stg_callcenter__interactions')),
    ('response_list', 'response_id', ref('stg_response_list__responses')),
    ('compiled_list', 'record_id', ref('stg_compiled_list__records')),
] %}

with

{% if is_incremental() %}
touched as (

    {%- for system, id, model in feeds %}
    select distinct '{{ system }}' as source_system, {{ id }} as source_record_id
    from {{ model }} where {{ new_rows }}
    union all
    {%- endfor %}
    -- records staged under other customer_ref patterns (the feed's patterns were changed)
    {%- for system in ['pos', 'callcenter'] %}
    select source_system, source_record_id from {{ this }}
    where source_system = '{{ system }}' and {{ customer_ref_outdated(
        "coalesce(account_id, loyalty_card, regexp_replace(local_ref, '^[a-z_]+:', ''))", system, this,
        staged=['account_id', 'loyalty_card', 'local_ref']
    ) }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),
{% endif %}

web as (

    select
        'web' as source_system,
        event_id as source_record_id,
        occurred_at as observed_at,
        {{ contact_columns | join(', ') }},
        account_id,
        cast(null as string) as loyalty_card,
        cast(null as string) as local_ref,
        anonymous_id,
        loaded_at
    from {{ ref('stg_web__events') }}
    where (account_id is not null or {{ any_contact }} is not null) and {{ new_rows }}

),

pos as (

    -- one row per transaction: the contact values of its first line that carries any; loaded
    -- when its newest line was
    select
        'pos' as source_system,
        transaction_id as source_record_id,
        transaction_at as observed_at,
        {{ contact_columns | join(', ') }},
        account_id,
        loyalty_card,
        local_ref,
        cast(null as string) as anonymous_id,
        transaction_loaded_at as loaded_at
    from (
        select *, max(loaded_at) over (partition by transaction_id) as transaction_loaded_at
        from {{ ref('stg_pos__transaction_lines') }}
        {%- if is_incremental() %}
        where transaction_id in (select source_record_id from touched where source_system = 'pos')
        {%- endif %}
    )
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
        cast(null as string) as anonymous_id,
        loaded_at
    from {{ ref('stg_callcenter__interactions') }}
    where (customer_ref is not null or {{ any_contact }} is not null)
    {%- if is_incremental() %}
        and interaction_id in (select source_record_id from touched where source_system = 'callcenter')
    {%- endif %}

),

response_list as (

    select
        'response_list' as source_system,
        response_id as source_record_id,
        responded_at as observed_at,
        {{ contact_columns | join(', ') }},
        cast(null as string) as account_id,
        cast(null as string) as loyalty_card,
        cast(null as string) as local_ref,
        cast(null as string) as anonymous_id,
        loaded_at
    from {{ ref('stg_response_list__responses') }}
    where {{ any_contact }} is not null and {{ new_rows }}

),

compiled_list as (

    -- bought records have no event time: observed when we loaded them
    select
        'compiled_list' as source_system,
        record_id as source_record_id,
        loaded_at as observed_at,
        {{ contact_columns | join(', ') }},
        cast(null as string) as account_id,
        cast(null as string) as loyalty_card,
        cast(null as string) as local_ref,
        cast(null as string) as anonymous_id,
        loaded_at
    from {{ ref('stg_compiled_list__records') }}
    where {{ any_contact }} is not null and {{ new_rows }}

),

unioned as (

    select * from web
    union all{{ by_name }}
    select * from pos
    union all{{ by_name }}
    select * from callcenter
    union all{{ by_name }}
    select * from response_list
    union all{{ by_name }}
    select * from compiled_list
    {%- if is_incremental() %}
    union all{{ by_name }}
    -- tombstones: touched records that bear no contact any more (deleted by the post-hook)
    select source_system, source_record_id from touched
    {%- endif %}

)

select
    source_system,
    source_record_id,
    observed_at,
    {{ contact_columns | join(',\n    ') }},
    account_id,
    loyalty_card,
    local_ref,
    anonymous_id,
    loaded_at
from unioned
{%- if is_incremental() %}
-- a touched record's contact row wins over its tombstone
qualify row_number() over (
    partition by source_system, source_record_id order by observed_at is null
) = 1
{%- endif %}
