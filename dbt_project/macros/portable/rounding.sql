{#
    A DOUBLE rounded to `digits` decimals, the same on both engines. DuckDB scales, rounds half
    away from zero and scales back (17.205, stored as 17.20499..., becomes 17.2); Spark's round()
    rounds the shortest decimal text of the double (17.21). Spark does DuckDB's arithmetic here.
#}
{% macro round_double(expression, digits) -%}
    {{ return(adapter.dispatch('round_double', 'crm360')(expression, digits)) }}
{%- endmacro %}

{% macro default__round_double(expression, digits) -%}
    round({{ expression }}, {{ digits }})
{%- endmacro %}

{% macro spark__round_double(expression, digits) -%}
    (round(cast({{ expression }} as double) * {{ 10 ** digits }}D) / {{ 10 ** digits }}D)
{%- endmacro %}

{#
    A DOUBLE as DECIMAL(precision, scale), the same on both engines: DuckDB's cast scales and
    rounds the double (67.975, stored as 67.97499..., becomes 67.97); Spark's rounds its shortest
    decimal text (67.98). Spark also divides decimals exactly where DuckDB divides doubles: cast a
    decimal numerator to double in `expression` so that both engines round the same double.
#}
{% macro decimal_of_double(expression, precision, scale) -%}
    {{ return(adapter.dispatch('decimal_of_double', 'crm360')(expression, precision, scale)) }}
{%- endmacro %}

{% macro default__decimal_of_double(expression, precision, scale) -%}
    cast({{ expression }} as decimal({{ precision }}, {{ scale }}))
{%- endmacro %}

{% macro spark__decimal_of_double(expression, precision, scale) -%}
    cast({{ spark__round_double(expression, scale) }} as decimal({{ precision }}, {{ scale }}))
{%- endmacro %}
