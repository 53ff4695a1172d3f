{#- Customer bands for market segmentation. -#}

{#- Age band from whole years of age; 'unknown' without a date of birth. Ten-year bands from
    25, everything under 25 together (the data has no minors) and 65+ together. -#}
{% macro kpi_age_band(age_years) -%}
    case
        when {{ age_years }} is null then 'unknown'
        when {{ age_years }} < 25 then 'under_25'
        when {{ age_years }} < 35 then '25_to_34'
        when {{ age_years }} < 45 then '35_to_44'
        when {{ age_years }} < 55 then '45_to_54'
        when {{ age_years }} < 65 then '55_to_64'
        else '65_plus'
    end
{%- endmacro %}

{#- Age in whole years as of kpi_as_of(); null without a date of birth or for one after that day. -#}
{% macro kpi_age_years(date_of_birth) -%}
    case when {{ date_of_birth }} <= {{ kpi_as_of() }}
        then cast({{ whole_years_between(date_of_birth, kpi_as_of()) }} as integer) end
{%- endmacro %}

{#- Purchase frequency band from the number of orders (POS transactions) to date: none (0),
    one_time (1), repeat (2-3), regular (4-6), frequent (7+); on the demo year about 42% of
    buyers are one-time, 35% repeat, 15% regular, 8% frequent. -#}
{% macro kpi_frequency_band(orders) -%}
    case
        when coalesce({{ orders }}, 0) = 0 then 'none'
        when {{ orders }} = 1 then 'one_time'
        when {{ orders }} <= 3 then 'repeat'
        when {{ orders }} <= 6 then 'regular'
        else 'frequent'
    end
{%- endmacro %}
