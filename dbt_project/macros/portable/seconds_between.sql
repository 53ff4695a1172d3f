{#
    Seconds from timestamp `start` to `end` as a DOUBLE (NULL when either is NULL). DuckDB takes
    the epoch of the interval; Spark has no epoch() of an interval, so it subtracts microseconds.
#}
{% macro seconds_between(start, end) -%}
    {{ return(adapter.dispatch('seconds_between', 'crm360')(start, end)) }}
{%- endmacro %}

{% macro default__seconds_between(start, end) -%}
    epoch({{ end }} - {{ start }})
{%- endmacro %}

{% macro spark__seconds_between(start, end) -%}
    (cast(unix_micros(cast({{ end }} as timestamp)) - unix_micros(cast({{ start }} as timestamp)) as double) / 1000000)
{%- endmacro %}
