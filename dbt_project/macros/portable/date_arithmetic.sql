{#- Date and timestamp arithmetic. DuckDB has date_diff/date_sub with a part name and adds
    INTERVALs (to_days, to_months, to_years); Spark has datediff, add_months and timestampadd.
    default__ = DuckDB's SQL. -#}

{#- BIGINT: month boundaries crossed from start_date to end_date (calendar months, as date_diff). -#}
{% macro calendar_months_between(start_date, end_date) -%}
    {{ return(adapter.dispatch('calendar_months_between', 'crm360')(start_date, end_date)) }}
{%- endmacro %}
{% macro default__calendar_months_between(start_date, end_date) -%}
    date_diff('month', {{ start_date }}, {{ end_date }})
{%- endmacro %}
{% macro spark__calendar_months_between(start_date, end_date) -%}
    cast((year({{ end_date }}) - year({{ start_date }})) * 12
        + month({{ end_date }}) - month({{ start_date }}) as bigint)
{%- endmacro %}

{#- Whole years from start_date to end_date (an age): a year counts once its day is reached;
    29 February is reached on 28 February in other years (DuckDB's date_sub). -#}
{% macro whole_years_between(start_date, end_date) -%}
    {{ return(adapter.dispatch('whole_years_between', 'crm360')(start_date, end_date)) }}
{%- endmacro %}
{% macro default__whole_years_between(start_date, end_date) -%}
    date_sub('year', {{ start_date }}, {{ end_date }})
{%- endmacro %}
{% macro spark__whole_years_between(start_date, end_date) -%}
    {#- months_between is whole on the same day of month or when both are month ends -#}
    floor(months_between({{ end_date }}, {{ start_date }}) / 12)
{%- endmacro %}

{#- TIMESTAMP plus `days` whole days (days: an integer expression). -#}
{% macro timestamp_add_days(ts, days) -%}
    {{ return(adapter.dispatch('timestamp_add_days', 'crm360')(ts, days)) }}
{%- endmacro %}
{% macro default__timestamp_add_days(ts, days) -%}
    {{ ts }} + to_days({{ days }})
{%- endmacro %}
{% macro spark__timestamp_add_days(ts, days) -%}
    timestampadd(DAY, {{ days }}, {{ ts }})
{%- endmacro %}

{#- DATE plus `months` calendar months (the month's last day when the day does not exist). -#}
{% macro date_add_months(day, months) -%}
    {{ return(adapter.dispatch('date_add_months', 'crm360')(day, months)) }}
{%- endmacro %}
{% macro default__date_add_months(day, months) -%}
    {{ day }} + to_months({{ months }})
{%- endmacro %}
{% macro spark__date_add_months(day, months) -%}
    add_months({{ day }}, {{ months }})
{%- endmacro %}

{#- DATE plus `years` calendar years (29 February -> 28 February in other years). -#}
{% macro date_add_years(day, years) -%}
    {{ return(adapter.dispatch('date_add_years', 'crm360')(day, years)) }}
{%- endmacro %}
{% macro default__date_add_years(day, years) -%}
    ({{ day }} + to_years({{ years }}))::date
{%- endmacro %}
{% macro spark__date_add_years(day, years) -%}
    add_months({{ day }}, 12 * ({{ years }}))
{%- endmacro %}

{#- DOUBLE: seconds since 1970-01-01 UTC of a TIMESTAMP. -#}
{% macro epoch_seconds(ts) -%}
    {{ return(adapter.dispatch('epoch_seconds', 'crm360')(ts)) }}
{%- endmacro %}
{% macro default__epoch_seconds(ts) -%}
    epoch({{ ts }})
{%- endmacro %}
{% macro spark__epoch_seconds(ts) -%}
    (unix_micros(cast({{ ts }} as timestamp)) / 1000000.0D)
{%- endmacro %}
