{#
    Calendar days from `start` to `end` (dates or timestamps: midnights crossed), NULL when either
    is NULL. dbt.datediff on Spark asserts both are non-NULL, which facts with optional dates break.
#}
{% macro days_between(start, end) -%}
    {{ return(adapter.dispatch('days_between', 'crm360')(start, end)) }}
{%- endmacro %}

{% macro default__days_between(start, end) -%}
    date_diff('day', {{ start }}, {{ end }})
{%- endmacro %}

{% macro spark__days_between(start, end) -%}
    cast(datediff(cast({{ end }} as date), cast({{ start }} as date)) as bigint)
{%- endmacro %}
