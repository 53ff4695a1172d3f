{#
    Fails for every non-null value that does not fully match the regular expression `pattern`
    (RE2 syntax; Java's regex dialect on Spark agrees for the patterns used): guards the output
    formats of the normalization macros, e.g. E.164 phones, ISO-2 countries, lower-case e-mails.
#}
{% test matches_pattern(model, column_name, pattern) %}
    {{ adapter.dispatch('test_matches_pattern', 'crm360')(model, column_name, pattern) }}
{% endtest %}

{% macro default__test_matches_pattern(model, column_name, pattern) %}
    select {{ column_name }}
    from {{ model }}
    where {{ column_name }} is not null
        and not regexp_full_match({{ column_name }}, '{{ pattern }}')
{% endmacro %}

{% macro spark__test_matches_pattern(model, column_name, pattern) %}
    select {{ column_name }}
    from {{ model }}
    where {{ column_name }} is not null
        and not ({{ column_name }} rlike {{ spark_string_literal('^(?:' ~ pattern ~ ')$') }})
{% endmacro %}
