{#
    Fails for every key (`key_columns`) present in the model but not in `compare_model`, or in
    `compare_model` but not in the model: two tables meant to hold one row per the same
    records (the identity map and the contact records it resolves).
#}
{% test same_keys_as(model, compare_model, key_columns) %}
    with model_keys as (

        select distinct {{ key_columns | join(', ') }} from {{ model }}

    ),

    compare_keys as (

        select distinct {{ key_columns | join(', ') }} from {{ compare_model }}

    )

    select 'missing in {{ compare_model }}' as problem, * from (
        select * from model_keys except select * from compare_keys
    )
    union all
    select 'missing in the tested model' as problem, * from (
        select * from compare_keys except select * from model_keys
    )
{% endtest %}
