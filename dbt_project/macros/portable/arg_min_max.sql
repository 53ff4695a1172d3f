{#- The value of `value` on the row with the least / greatest ordering, where `order_by` is a list of
    expressions compared left to right (a tie-break list). DuckDB: arg_min/arg_max over a
    struct_pack; Spark: min_by/max_by over a struct. DuckDB skips rows whose value is NULL, Spark's
    min_by would return it: the Spark ordering is NULL on those rows, which min_by skips. -#}
{% macro arg_min_by(value, order_by) -%}
    {{ return(adapter.dispatch('arg_min_by', 'crm360')(value, order_by, 'min')) }}
{%- endmacro %}
{% macro arg_max_by(value, order_by) -%}
    {{ return(adapter.dispatch('arg_min_by', 'crm360')(value, order_by, 'max')) }}
{%- endmacro %}
{% macro default__arg_min_by(value, order_by, direction) -%}
    {%- if order_by | length == 1 -%}
    arg_{{ direction }}({{ value }}, {{ order_by[0] }})
    {%- else -%}
    arg_{{ direction }}({{ value }}, struct_pack({{ order_by | join(', ') }}))
    {%- endif -%}
{%- endmacro %}
{% macro spark__arg_min_by(value, order_by, direction) -%}
    {#- one ordering: the plain value, which min_by skips when NULL as arg_min does; a one-field
        struct would not be NULL and would sort first -#}
    {%- set ordering = order_by[0] if order_by | length == 1 else 'struct(' ~ order_by | join(', ') ~ ')' -%}
    {{ direction }}_by({{ value }}, case when {{ value }} is not null then {{ ordering }} end)
{%- endmacro %}

{#- arg_max(arg, val) / arg_min(arg, val) of one ordering value; a FILTER clause may follow. -#}
{% macro arg_max_of(arg, val) -%}
    {{ return(arg_max_by(arg, [val])) }}
{%- endmacro %}
{% macro arg_min_of(arg, val) -%}
    {{ return(arg_min_by(arg, [val])) }}
{%- endmacro %}
