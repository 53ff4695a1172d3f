{#- Aggregate: the values of `expression` joined by `separator`, ordered by `order_by` (optionally
    distinct; then order_by must be the expression). DuckDB: string_agg(... order by ...);
    Spark: listagg(...) within group (order by ...). -#}
{% macro ordered_string_agg(expression, separator, order_by, distinct=false) -%}
    {{ return(adapter.dispatch('ordered_string_agg', 'crm360')(expression, separator, order_by, distinct)) }}
{%- endmacro %}
{% macro default__ordered_string_agg(expression, separator, order_by, distinct) -%}
    string_agg({{ 'distinct ' if distinct }}{{ expression }}, {{ separator }} order by {{ order_by }})
{%- endmacro %}
{% macro spark__ordered_string_agg(expression, separator, order_by, distinct) -%}
    listagg({{ 'distinct ' if distinct }}{{ expression }}, {{ separator }}) within group (order by {{ order_by }})
{%- endmacro %}
