{#
    Free text as a person typed it (names, addresses) -> trimmed, inner runs of whitespace
    (tabs, newlines, non-breaking spaces) collapsed to one space, and '' turned into null so
    that "missing" has one spelling. The regular expression costs: machine-written values
    (ids, URLs, codes) use the cheaper macros below.
#}
{% macro clean_text(column) -%}
    nullif(trim(regexp_replace({{ column }}, '[\s\x{00A0}]+', ' ', 'g')), '')
{%- endmacro %}


{# Machine-written values (ids, URLs): only trimmed, '' turned into null. #}
{% macro trim_to_null(column) -%}
    nullif(trim({{ column }}), '')
{%- endmacro %}


{# Coded values (channel, cell, ...): trimmed and lower-cased so 'Phone ' matches 'phone'. #}
{% macro clean_code(column) -%}
    lower({{ trim_to_null(column) }})
{%- endmacro %}
