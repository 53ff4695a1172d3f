{#
    Fails for every combination of `combination_of_columns` that occurs more than once: the
    uniqueness test of a composite key (POS transaction lines, campaign audience members,
    contact records).
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}
    select
        {{ combination_of_columns | join(', ') }},
        count(*) as occurrences
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1
{% endtest %}
