{#
    Incremental facts (issue 20): what a fact re-derives on an incremental run. Every fact row
    carries _built_at, the UTC time of the run that last wrote it; fact_watermark() is the newest
    one in the fact. A run re-derives the rows of
    - records loaded since then (staging loaded_at: new, late and corrected rows), and
    - customers in changed_customer_keys(since): their facts' customer_key or their golden-record
      version (customer_sk, dim_customer SCD2) may be different now.
    Each fact adds its own widening (a browser re-sessionised whole, a return whose sale arrived,
    an interaction whose order changed customer) and replaces those rows by delete+insert.

    Raw loads and identity runs happen before dbt in the same run, so `loaded_at` and `key_since`
    of everything this run brought are older than the rows it writes and newer than the last run's.
    Restating a staging model by hand (dbt --full-refresh -s stg_...) keeps old loaded_at values:
    full-refresh the facts too.
#}

{# The run's time, UTC wall clock like every warehouse timestamp (to_utc). #}
{% macro fact_built_at() -%}
    {{ return(adapter.dispatch('fact_built_at', 'crm360')()) }}
{%- endmacro %}

{% macro default__fact_built_at() -%}
    {{ to_utc('now()') }}
{%- endmacro %}

{#- The Spark session's time zone is UTC (profiles.yml): its wall clock is UTC, kept without a zone. -#}
{% macro spark__fact_built_at() -%}
    cast(current_timestamp() as timestamp_ntz)
{%- endmacro %}

{# The newest _built_at of the fact being built: rows newer than that are new to it. #}
{#- A fact built before it had _built_at (a table of an older release) is re-derived whole once. #}
{% macro fact_watermark() -%}
    {{ watermark('_built_at') }}
{%- endmacro %}

{#
    Every model changed_customer_keys reads, as dbt dependencies: it is rendered only on
    incremental runs, after dbt has inferred the graph from the parse (where is_incremental() is
    false). Put `{{ incremental_fact_depends_on() }}` at the top of each fact using it.
#}
{% macro incremental_fact_depends_on() -%}
    {%- for model in ['stg_web__events', 'stg_pos__transaction_lines', 'stg_callcenter__interactions',
                      'stg_response_list__responses', 'stg_compiled_list__records'] %}
-- depends_on: {{ ref(model) }}
    {%- endfor %}
-- depends_on: {{ source('core', 'customer_identity_map') }}
{%- endmacro %}

{#
    Customers whose facts may have to change since `since` (a UTC timestamp expression):
    - the current key of every record that got its key since then (new records, and records moved
      by a merge or split: identity map key_since);
    - the key such a moved record had before (audit.identity_key_history, written by the identity
      run in the same transaction as the map): that customer lost a record, so its golden versions
      may have changed too;
    - the key of every contact record re-loaded since then (a correction can change the golden
      record's values or dates, and with them dim_customer's versions).
    A superset is safe: the facts of an unchanged customer are re-derived to the same rows.
    Known gap: a correction that leaves a record with no contact detail at all drops it from the
    map, and the customer it left is not found here (full-refresh restates it).
#}
{% macro changed_customer_keys(since) -%}
    {%- set history = adapter.get_relation(
        database=target.database, schema='audit', identifier='identity_key_history') if execute else none -%}
    {%- set record_loads = [
        ('web', 'event_id', 'stg_web__events'),
        ('pos', 'transaction_id', 'stg_pos__transaction_lines'),
        ('callcenter', 'interaction_id', 'stg_callcenter__interactions'),
        ('response_list', 'response_id', 'stg_response_list__responses'),
        ('compiled_list', 'record_id', 'stg_compiled_list__records'),
    ] -%}
    (
        select customer_key from {{ source('core', 'customer_identity_map') }}
        where {{ to_utc('key_since') }} > {{ since }}
        {%- if history is not none %}
        union
        select previous_key from {{ history }}
        where previous_key is not null and {{ to_utc('changed_at') }} > {{ since }}
        {%- endif %}
        union
        select identity_map.customer_key
        from {{ source('core', 'customer_identity_map') }} as identity_map
        semi join (
            {%- for system, id, model in record_loads %}
            {% if not loop.first %}union all {% endif -%}
            select '{{ system }}' as source_system, {{ id }} as source_record_id
            from {{ ref(model) }} where loaded_at > {{ since }}
            {%- endfor %}
        ) as reloaded
            on reloaded.source_system = identity_map.source_system
            and reloaded.source_record_id = identity_map.source_record_id
    )
{%- endmacro %}

{#
    fct_web_events: the browsers (anonymous_id) to re-sessionise and re-attribute whole since
    `since`: those with an event loaded since (new, late or corrected) and the browser such an
    event had before (a correction of anonymous_id), those with an event that
    is a contact record and got a new key, those with events attributed to a customer whose key
    changed (they may belong to another one now), and those whose login accounts belong to such a
    customer now (int_customer_account_keys votes by the account's records: a vote moves only
    when a record of one of the two customers is new, moved or re-loaded).
#}
{% macro changed_web_browsers(since) -%}
    select anonymous_id from {{ ref('stg_web__events') }} where loaded_at > {{ since }}
    union
    -- the browser a corrected event had before: its other events re-sessionise without it
    select anonymous_id from {{ this }}
    where event_id in (select event_id from {{ ref('stg_web__events') }} where loaded_at > {{ since }})
    union
    -- events that are contact records and got a new customer key
    select events.anonymous_id
    from {{ ref('stg_web__events') }} as events
    semi join {{ source('core', 'customer_identity_map') }} as identity_map
        on identity_map.source_record_id = events.event_id
        and identity_map.source_system = 'web' and {{ to_utc('identity_map.key_since') }} > {{ since }}
    union
    select anonymous_id from {{ this }} where customer_key in {{ changed_customer_keys(since) }}
    union
    select links.anonymous_id
    from {{ ref('int_web_anonymous_links') }} as links
    inner join {{ ref('int_customer_account_keys') }} as accounts on accounts.account_id = links.account_id
    where accounts.customer_key in {{ changed_customer_keys(since) }}
{%- endmacro %}

{#
    fct_web_events' post-hook: an event whose anonymous_id a correction changed was just written
    under its new browser; its row under the old browser is gone when that browser was rewritten
    too, but not when the event was the old browser's last one (no batch row carries that browser).
    Delete rows older than this run's whose event_id this run wrote.
#}
{% macro drop_moved_web_events() -%}
    {%- if is_incremental() -%}
    delete from {{ this }}
    where _built_at < (select max(_built_at) from {{ this }})
        and event_id in (select event_id from {{ this }} where _built_at = (select max(_built_at) from {{ this }}))
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}
