{#
    Fails for every row where the boolean SQL `expression` is false (NULL counts as true: the
    expression states a rule for the rows it applies to). Model-level or column-level; a
    column-level use still states the full expression.
#}
{% test expression_is_true(model, expression, column_name=none) %}
    select *
    from {{ model }}
    where not coalesce(({{ expression }}), true)
{% endtest %}
