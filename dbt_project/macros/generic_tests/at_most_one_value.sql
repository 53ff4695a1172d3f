{#
    Fails for every group (the `group_by` columns) in which `column_name` takes more than one
    distinct non-null value; failures count the groups.
#}
{% test at_most_one_value(model, column_name, group_by) %}
    select {{ group_by | join(', ') }}, count(distinct {{ column_name }}) as distinct_values
    from {{ model }}
    where {{ column_name }} is not null
    group by {{ group_by | join(', ') }}
    having count(distinct {{ column_name }}) > 1
{% endtest %}
