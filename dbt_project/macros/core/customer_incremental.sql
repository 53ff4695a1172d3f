{#
    Incremental by customer (issue 20): int_customer_records, int_customer_golden, dim_customer and
    customer_360 re-derive every row of the customers in their batch and replace those customers'
    rows (delete+insert on customer_key). The batch is changed_customer_keys(since) with `since`
    the model's newest _built_at (macros/core/incremental.sql); customer_360 widens it with the
    customers whose facts changed (customer_360_changed_keys). Everything a customer's rows are
    derived from is its own records and facts, so a customer outside the batch keeps rows equal to
    a full rebuild's: customer_sk (customer_key and the version's first day) and the SCD2 ranges
    come out the same.
#}

{#
    Post-hook: a key that identity resolution retired (merged into another, or left without
    records) yields no batch row, so delete+insert leaves its old rows behind; delete them.
#}
{% macro drop_retired_customers() -%}
    {%- set keys = adapter.get_relation(
        database=target.database, schema='core', identifier='identity_keys') if execute else none -%}
    {%- if is_incremental() and keys is not none -%}
    delete from {{ this }}
    where customer_key in (select customer_key from {{ keys }} where status = 'retired')
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}

{#
    int_customer_records' post-hook: an identity run re-estimates Splink's prior and with it the
    match probability of records that keep their key (key_since unchanged). Copy the map's score
    onto such rows outside the batch and stamp them, so customer_360 re-derives their customers.
#}
{% macro refresh_match_scores() -%}
    {%- if is_incremental() -%}
    update {{ this }} as records
    set match_probability = identity_map.match_probability,
        matched_by = identity_map.matched_by,
        _built_at = {{ fact_built_at() }}
    from {{ source('core', 'customer_identity_map') }} as identity_map
    where identity_map.source_system = records.source_system
        and identity_map.source_record_id = records.source_record_id
        and (identity_map.match_probability is distinct from records.match_probability
            or identity_map.matched_by is distinct from records.matched_by)
    {%- else -%}
    select 1
    {%- endif -%}
{%- endmacro %}

{# The batch of a model incremental by customer: `column` in changed_customer_keys, or true on a full build. #}
{% macro in_customer_batch(column) -%}
    {%- if is_incremental() -%}
    {{ column }} in {{ changed_customer_keys(fact_watermark()) }}
    {%- else -%}
    true
    {%- endif -%}
{%- endmacro %}

{#
    customer_360's batch beyond changed_customer_keys: customers with touchpoints written since
    `since`, and customers whose activity totals (intermediate.int_customer_activity, a table
    rebuilt every run without a build time) differ from the ones customer_360 holds.
    fct_touchpoints rewrites the campaign touchpoints every run: for those, the customers of
    audience members and responses loaded since (staging keeps every member and response, and a
    customer's touchpoint moving by a key change is in changed_customer_keys). Customers whose
    age band or postcode district moved: customer_360_band_changed_keys.
    `activity` and `totals` are customer_360's column lists (totals are 0 there when absent).
    Put `{{ customer_360_depends_on() }}` at the top of customer_360.
#}
{% macro customer_360_depends_on() -%}
    {%- for model in ['stg_campaign_audience__members', 'fct_campaign_audience', 'fct_campaign_responses'] %}
-- depends_on: {{ ref(model) }}
    {%- endfor %}
{%- endmacro %}

{% macro customer_360_changed_keys(since, activity, totals) -%}
    (
        select customer_key from {{ ref('fct_touchpoints') }}
        where _built_at > {{ since }} and _source_group not in ('campaign_audience', 'response_list')
        union
        select audience.customer_key
        from {{ ref('fct_campaign_audience') }} as audience
        semi join {{ ref('stg_campaign_audience__members') }} as members
            on members.campaign_id = audience.campaign_id and members.account_id = audience.account_id
            and members.loaded_at > {{ since }}
        union
        select customer_key from {{ ref('fct_campaign_responses') }}
        where response_id in (
            select response_id from {{ ref('stg_response_list__responses') }} where loaded_at > {{ since }}
        )
        union
        -- records re-scored by identity resolution (refresh_match_scores): min_match_probability
        select customer_key from {{ ref('int_customer_records') }} where _built_at > {{ since }}
        union
        select held.customer_key
        from {{ this }} as held
        left join {{ ref('int_customer_activity') }} as activity on activity.customer_key = held.customer_key
        where
            {%- for column in activity %}
            {% if not loop.first %}or {% endif -%}
            {% if column in totals -%}
            coalesce(activity.{{ column }}, 0) is distinct from held.{{ column }}
            {%- else -%}
            activity.{{ column }} is distinct from held.{{ column }}
            {%- endif %}
            {%- endfor %}
        union
        select customer_key from {{ customer_360_band_changed_keys() }}
        union
        select customer_key from {{ changed_customer_keys(since) }}
    )
{%- endmacro %}

{#
    Customers whose age band (it moves with birthdays and kpi_as_of(), without a new record) or
    postcode district differs from the one customer_360 holds; every customer while the table
    lacks those columns (the first run after they were added). In a unit test `this` is the
    fixture's CTE name, a string, and the fixture has the columns.
#}
{% macro customer_360_band_changed_keys() -%}
    {%- set held = [] if this is string else adapter.get_columns_in_relation(this) | map(attribute='name')
        | map('lower') | list %}
    {%- if this is string or ('age_band' in held and 'postcode_district' in held) %}
    (
        select held.customer_key
        from {{ this }} as held
        inner join {{ ref('dim_customer') }} as customers
            on customers.customer_key = held.customer_key and customers.is_current
        where held.age_band is distinct from {{ kpi_age_band(kpi_age_years('customers.date_of_birth')) }}
            or held.postcode_district is distinct from {{ postcode_district('customers.postcode') }}
    )
    {%- else %}
    (select customer_key from {{ this }})
    {%- endif %}
{%- endmacro %}
