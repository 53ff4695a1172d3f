{#- TIMESTAMP (midnight) from a 'YYYY-MM-DD' text, NULL when it is not one (no error). DuckDB:
    try_strptime; Spark: try_to_timestamp with Java's pattern letters. -#}
{% macro try_parse_iso_date(text) -%}
    {{ return(adapter.dispatch('try_parse_iso_date', 'crm360')(text)) }}
{%- endmacro %}
{% macro default__try_parse_iso_date(text) -%}
    try_strptime({{ text }}, '%Y-%m-%d')
{%- endmacro %}
{% macro spark__try_parse_iso_date(text) -%}
    cast(try_to_timestamp(nullif({{ text }}, ''), 'yyyy-MM-dd') as timestamp_ntz)
{%- endmacro %}
