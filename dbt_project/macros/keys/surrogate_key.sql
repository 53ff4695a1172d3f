{#
    Surrogate key of a dimension row or fact: md5 of the natural key columns joined with '|',
    NULL written as '_null_' (so ('a', null) and (null, 'a') differ). Deterministic: the same
    natural key gets the same key in every rebuild, whatever the load order, so facts and
    dimensions built in separate models always join.
#}
{% macro surrogate_key(columns) -%}
    {{ return(adapter.dispatch('surrogate_key', 'crm360')(columns)) }}
{%- endmacro %}

{% macro default__surrogate_key(columns) -%}
    md5(concat_ws('|'
    {%- for column in columns -%}
        , coalesce(cast({{ column }} as varchar), '_null_')
    {%- endfor -%}
    ))
{%- endmacro %}

{#- Spark has no VARCHAR without a length: the same text as STRING. -#}
{% macro spark__surrogate_key(columns) -%}
    md5(concat_ws('|'
    {%- for column in columns -%}
        , coalesce(cast({{ column }} as string), '_null_')
    {%- endfor -%}
    ))
{%- endmacro %}
