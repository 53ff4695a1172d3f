{#
    Whether the whole of `text` matches the regular expression `pattern` (a SQL string literal).
    DuckDB has regexp_full_match; Spark's RLIKE matches anywhere, so the pattern is anchored.
#}
{% macro regex_full_match(text, pattern) -%}
    {{ return(adapter.dispatch('regex_full_match', 'crm360')(text, pattern)) }}
{%- endmacro %}

{% macro default__regex_full_match(text, pattern) -%}
    regexp_full_match({{ text }}, {{ pattern }})
{%- endmacro %}

{% macro spark__regex_full_match(text, pattern) -%}
    ({{ text }} rlike concat('^(?:', {{ pattern }}, ')$'))
{%- endmacro %}
