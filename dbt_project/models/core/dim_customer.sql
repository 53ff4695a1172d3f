-- Customer dimension, SCD type 2: one row per customer and version of its golden record.
-- intermediate.int_customer_golden holds the golden record as of every date a record of the
-- customer arrived; consecutive dates with identical attributes collapse into one version,
-- valid from its first date (inclusive) to the next version's (exclusive), 9999-12-31 while
-- current. Exactly one current row per customer_key. Key: customer_sk.
-- Incremental by customer (macros/core/customer_incremental.sql): a run re-derives every version
-- of the customers in changed_customer_keys; customer_sk depends on the customer's dates only.
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

{%- set attributes = [
    'first_name', 'last_name', 'email', 'phone', 'address_line1', 'address_line2', 'city',
    'postcode', 'region', 'country', 'date_of_birth', 'account_id', 'loyalty_card',
    'is_loyalty_member', 'consent_email', 'consent_sms', 'consent_phone', 'consent_mail'
] %}

{#- nulls last spelled out: DuckDB's default for ascending orders, Spark's is nulls first #}
with golden as (

    select
        *,
        {{ struct_of(attributes) }} as golden_attributes
    from {{ ref('int_customer_golden') }}
    where {{ in_customer_batch('customer_key') }}

),

changes as (

    select
        *,
        golden_attributes is distinct from lag(golden_attributes) over (
            partition by customer_key order by as_of_date nulls last
        ) as is_new_version
    from golden

),

versions as (

    select * from changes where is_new_version

)

select
    {{ surrogate_key(['customer_key', 'as_of_date']) }} as customer_sk,
    customer_key,
    cast(row_number() over customer_versions as integer) as version_number,
    {{ attributes | join(',\n    ') }},
    as_of_date as valid_from,
    coalesce(lead(as_of_date) over customer_versions, date '9999-12-31') as valid_to,
    lead(as_of_date) over customer_versions is null as is_current,
    {{ fact_built_at() }} as _built_at
from versions
window customer_versions as (partition by customer_key order by as_of_date nulls last)
