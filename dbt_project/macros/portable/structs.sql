{#
    struct_of(columns): a struct of the columns, fields named as the columns (read back with
    `alias.field`). DuckDB struct_pack, Spark struct.
#}
{% macro struct_of(columns) -%}
    {{ return(adapter.dispatch('struct_of', 'crm360')(columns)) }}
{%- endmacro %}

{% macro default__struct_of(columns) -%}
    struct_pack({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__struct_of(columns) -%}
    struct({{ columns | join(', ') }})
{%- endmacro %}

{#
    order_key(columns): a struct to order rows by (arg_max / arg_min), column by column.
    DuckDB orders a NULL field after every value, Spark before: on Spark each field is preceded
    by its `is null` flag (false < true), which puts NULLs last as DuckDB does.
#}
{% macro order_key(columns) -%}
    {{ return(adapter.dispatch('order_key', 'crm360')(columns)) }}
{%- endmacro %}

{% macro default__order_key(columns) -%}
    struct_pack({{ columns | join(', ') }})
{%- endmacro %}

{% macro spark__order_key(columns) -%}
    struct(
    {%- for column in columns -%}
        {{ ', ' if not loop.first }}{{ column }} is null, {{ column }}
    {%- endfor -%}
    )
{%- endmacro %}
