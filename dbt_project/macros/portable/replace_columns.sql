{#
    Every column of `relation` (a CTE or table name) with some replaced by expressions:
    `replacements` is a list of [column, expression] pairs. DuckDB says `select * replace`; Spark 4
    has no REPLACE but its pipe syntax's SET does the same (the column keeps its position).
#}
{% macro replace_columns(relation, replacements) -%}
    {{ adapter.dispatch('replace_columns', 'crm360')(relation, replacements) }}
{%- endmacro %}

{% macro default__replace_columns(relation, replacements) -%}
    select * replace (
        {%- for column, expression in replacements %}
        {{ expression }} as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    )
    from {{ relation }}
{%- endmacro %}

{% macro spark__replace_columns(relation, replacements) -%}
    from {{ relation }}
    |> set
        {%- for column, expression in replacements %}
        {{ column }} = {{ expression }}{{ ',' if not loop.last }}
        {%- endfor %}
{%- endmacro %}
