{#
    Number of browser (anonymous_id hash) buckets that fct_web_events sessionizes one after the
    other. Sessions, the ASOF login join and both windows are per browser, so buckets are
    independent and the union is the same table. hash(NULL) is a constant, so events without a
    browser id all land in one bucket.

    Why: the sorts behind the windows and the ASOF join grow faster than the rows. At 1M
    customers (49.9M events, 4GB memory limit) the model took 412.8 s in one piece and 326.4 s
    in 10 buckets; at 100k (5M events) 1 and 10 buckets both took 31 s. So a bucket holds at most
    5M raw events (`web_events_per_bucket`), counted on raw.web, which exists before staging runs
    (and in the bare-SQL benchmark's stripped copy). The var `web_event_buckets` fixes the number.
#}
{% macro web_event_buckets() -%}
    {%- set fixed = var('web_event_buckets', none) -%}
    {%- if fixed is not none and fixed | string | length > 0 -%}
        {{ return(fixed | int) }}
    {%- endif -%}
    {%- if not execute -%}
        {{ return(1) }}
    {%- endif -%}
    {#- Looked up, not source(): a source() here would be a dependency that unit tests must mock,
        and the order is already right (fct_web_events reads stg_web__events, built from raw.web). -#}
    {%- set raw_web = adapter.get_relation(database=target.database, schema='raw', identifier='web') -%}
    {%- if raw_web is none -%}
        {{ return(1) }}
    {%- endif -%}
    {%- set n_events = run_query('select count(*) from ' ~ raw_web).columns[0].values()[0] -%}
    {%- set per_bucket = var('web_events_per_bucket', 5000000) | int -%}
    {{ return([1, ((n_events + per_bucket - 1) // per_bucket) | int] | max) }}
{%- endmacro %}
