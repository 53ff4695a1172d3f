{#
    Key of core.dim_date for a DATE or TIMESTAMP: the calendar date as the integer yyyymmdd
    (2026-03-01 -> 20260301). A smart key: readable, sortable, and computed by facts without a
    join. NULL stays NULL.
#}
{% macro date_key(column) -%}
    cast(year({{ column }}) * 10000 + month({{ column }}) * 100 + day({{ column }}) as integer)
{%- endmacro %}
