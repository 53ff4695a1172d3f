{#
    SCD2 dimensions: fails for every key (`column_name`) that does not have exactly one row
    flagged current (`current_column`, default is_current): none means the customer vanished
    from the current view, two mean its current profile is ambiguous.
#}
{% test exactly_one_current_row(model, column_name, current_column='is_current') %}
    select
        {{ column_name }},
        count(*) filter (where {{ current_column }}) as current_rows
    from {{ model }}
    group by {{ column_name }}
    having count(*) filter (where {{ current_column }}) <> 1
{% endtest %}
