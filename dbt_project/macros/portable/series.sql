{#- Generated series as a select-list item, one row per element (Spark's explode must stand alone
    in the select list). DuckDB: unnest(range()) / unnest(generate_series()); Spark: sequence(),
    which includes its end. -#}

{#- Integers start, start + 1, ..., stop - 1 (stop > start). -#}
{% macro unnest_integer_range(start, stop) -%}
    {{ return(adapter.dispatch('unnest_integer_range', 'crm360')(start, stop)) }}
{%- endmacro %}
{% macro default__unnest_integer_range(start, stop) -%}
    unnest(range({{ start }}, {{ stop }}))
{%- endmacro %}
{% macro spark__unnest_integer_range(start, stop) -%}
    explode(sequence(cast({{ start }} as bigint), cast({{ stop }} as bigint) - 1))
{%- endmacro %}

{#- DATEs: the first day of each month from the month of first_day to the month of last_day. -#}
{% macro unnest_month_starts(first_day, last_day) -%}
    {{ return(adapter.dispatch('unnest_month_starts', 'crm360')(first_day, last_day)) }}
{%- endmacro %}
{% macro default__unnest_month_starts(first_day, last_day) -%}
    cast(unnest(generate_series(
        date_trunc('month', {{ first_day }}), date_trunc('month', {{ last_day }}), interval 1 month
    )) as date)
{%- endmacro %}
{% macro spark__unnest_month_starts(first_day, last_day) -%}
    explode(sequence(
        trunc({{ first_day }}, 'month'), trunc({{ last_day }}, 'month'), interval 1 month
    ))
{%- endmacro %}
