{#- Reconciliation: fails (one row) when the model's total of `expression` differs from the total
    of `compare_expression` on `compare_model`: an aggregate mart must neither drop nor double
    count facts (e.g. sum(offered) = count(*) of fct_interactions). -#}
{% test ops_total_matches(model, expression, compare_model, compare_expression) %}
    with totals as (

        select
            (select coalesce({{ expression }}, 0) from {{ model }}) as model_total,
            (select coalesce({{ compare_expression }}, 0) from {{ compare_model }}) as compare_total

    )

    select * from totals where model_total <> compare_total
{% endtest %}
