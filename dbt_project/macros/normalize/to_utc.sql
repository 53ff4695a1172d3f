{#
    TIMESTAMPTZ -> TIMESTAMP holding the UTC wall-clock time: '2026-03-01 10:00:00+01:00'
    -> 2026-03-01 09:00:00, whatever the session TimeZone; downstream models and BI tools then
    compare plain timestamps.

    A TIMESTAMPTZ is microseconds since the epoch in UTC, and so is the UTC wall-clock
    TIMESTAMP: make_timestamp(epoch_us(x)) is that conversion in integer arithmetic. `at time
    zone 'UTC'` goes through ICU per value: 2.95 s against 0.17 s for 15M web events (300k
    customers, 2 threads), equal on every one of them. The infinities, which epoch_us cannot
    represent, take the ICU path (CASE evaluates a branch only on its own rows).
#}
{% macro to_utc(column) -%}
    {{ adapter.dispatch('to_utc', 'crm360')(column) }}
{%- endmacro %}

{% macro default__to_utc(column) -%}
    (case when isfinite({{ column }}) then make_timestamp(epoch_us({{ column }}))
          else {{ column }} at time zone 'UTC' end)
{%- endmacro %}
