{#
    arg_max / arg_min: the `arg` of the row with the largest / smallest `val`.
    DuckDB's arg_max(arg, val) skips rows whose arg or val is NULL; Spark's max_by skips only a
    NULL val, so on Spark a NULL arg's val is nulled to get the same pick. A FILTER clause may
    follow the call on both engines.
#}
{% macro arg_max_of(arg, val) -%}
    {{ return(adapter.dispatch('arg_max_of', 'crm360')(arg, val)) }}
{%- endmacro %}

{% macro default__arg_max_of(arg, val) -%}
    arg_max({{ arg }}, {{ val }})
{%- endmacro %}

{% macro spark__arg_max_of(arg, val) -%}
    max_by({{ arg }}, case when {{ arg }} is not null then {{ val }} end)
{%- endmacro %}

{% macro arg_min_of(arg, val) -%}
    {{ return(adapter.dispatch('arg_min_of', 'crm360')(arg, val)) }}
{%- endmacro %}

{% macro default__arg_min_of(arg, val) -%}
    arg_min({{ arg }}, {{ val }})
{%- endmacro %}

{% macro spark__arg_min_of(arg, val) -%}
    min_by({{ arg }}, case when {{ arg }} is not null then {{ val }} end)
{%- endmacro %}
