{#
    TIMESTAMPTZ -> TIMESTAMP holding the UTC wall-clock time: '2026-03-01 10:00:00+01:00'
    -> 2026-03-01 09:00:00. Explicit `at time zone 'UTC'` so the result never depends on the
    session TimeZone; downstream models and BI tools then compare plain timestamps.
#}
{% macro to_utc(column) -%}
    ({{ column }} at time zone 'UTC')
{%- endmacro %}
