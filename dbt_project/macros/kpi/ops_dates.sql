{#- DATE: the first yearly recurrence of `origin_date` (a birthday, an anniversary) on or after
    `from_date`. Adds whole years, so 29 February recurs on 28 February in other years. -#}
{% macro ops_next_yearly_date(origin_date, from_date) -%}
    {%- set years = 'year(' ~ from_date ~ ') - year(' ~ origin_date ~ ')' -%}
    {%- set this_year = date_add_years(origin_date, years) -%}
    case
        when {{ this_year }} >= {{ from_date }} then {{ this_year }}
        else {{ date_add_years(origin_date, years ~ ' + 1') }}
    end
{%- endmacro %}
