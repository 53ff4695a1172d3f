{#
    Pre-hook of a contracted incremental model: drop the columns the table still has but the contract
    no longer declares. A contract allows only on_schema_change='append_new_columns' (or 'fail'), so a
    column removed from the model would otherwise stay in the table with its last values: after
    issue 22 that was customer_360's names, e-mails and addresses. A full build has nothing to drop.
#}
{% macro drop_undeclared_columns() -%}
    {%- if execute and is_incremental() -%}
        {%- set declared = model.columns.keys() | map('lower') | list -%}
        {%- for column in adapter.get_columns_in_relation(this) if column.name | lower not in declared %}
    alter table {{ this }} drop column {{ adapter.quote(column.name) }};
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
