{#
    core.dim_date's calendar on both engines.

    calendar_days(bounds): a query of one DATE column date_day, every day of the whole years from
    the year of bounds.first_at to the year of bounds.last_at (today's year where NULL). DuckDB
    generates a series, Spark explodes a sequence.
#}
{% macro calendar_days(bounds) -%}
    {{ return(adapter.dispatch('calendar_days', 'crm360')(bounds)) }}
{%- endmacro %}

{% macro default__calendar_days(bounds) -%}
    select cast(day as date) as date_day
    from {{ bounds }},
        generate_series(
            cast(date_trunc('year', coalesce(first_at, current_date)) as timestamp),
            cast(date_trunc('year', coalesce(last_at, current_date)) + interval 1 year - interval 1 day
                as timestamp),
            interval 1 day
        ) as series(day)
{%- endmacro %}

{% macro spark__calendar_days(bounds) -%}
    select explode(sequence(
        cast(date_trunc('year', coalesce(first_at, current_date)) as date),
        cast(date_trunc('year', coalesce(last_at, current_date)) + interval 1 year - interval 1 day as date),
        interval 1 day
    )) as date_day
    from {{ bounds }}
{%- endmacro %}

{#
    calendar_part(part, day): a named calendar attribute of a DATE: month_name ('March'),
    day_name ('Sunday'), year_month ('2026-03'), iso_year (the ISO 8601 week-numbering year),
    iso_day_of_week (1 = Monday .. 7 = Sunday).
#}
{% macro calendar_part(part, day) -%}
    {{ return(adapter.dispatch('calendar_part', 'crm360')(part, day)) }}
{%- endmacro %}

{% macro default__calendar_part(part, day) -%}
    {%- set parts = {
        'month_name': 'monthname(' ~ day ~ ')',
        'day_name': 'dayname(' ~ day ~ ')',
        'year_month': 'strftime(' ~ day ~ ", '%Y-%m')",
        'iso_year': 'isoyear(' ~ day ~ ')',
        'iso_day_of_week': 'isodow(' ~ day ~ ')',
    } -%}
    {{ parts[part] }}
{%- endmacro %}

{% macro spark__calendar_part(part, day) -%}
    {%- set parts = {
        'month_name': 'date_format(' ~ day ~ ", 'MMMM')",
        'day_name': 'date_format(' ~ day ~ ", 'EEEE')",
        'year_month': 'date_format(' ~ day ~ ", 'yyyy-MM')",
        'iso_year': 'extract(yearofweek from ' ~ day ~ ')',
        'iso_day_of_week': 'extract(dayofweek_iso from ' ~ day ~ ')',
    } -%}
    {{ parts[part] }}
{%- endmacro %}
