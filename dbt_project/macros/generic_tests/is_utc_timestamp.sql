{#
    Fails when the column is not a plain TIMESTAMP: staging hands out UTC wall-clock times
    (TIMESTAMP), never TIMESTAMPTZ, whose rendering depends on the reader's session zone.
    Reads the catalog, so it also holds on an empty table.
#}
{% test is_utc_timestamp(model, column_name) %}
    {{ adapter.dispatch('test_is_utc_timestamp', 'crm360')(model, column_name) }}
{% endtest %}

{% macro default__test_is_utc_timestamp(model, column_name) %}
    select column_name, data_type
    from information_schema.columns
    where table_catalog = '{{ model.database }}'
        and table_schema = '{{ model.schema }}'
        and table_name = '{{ model.identifier }}'
        and column_name = '{{ column_name }}'
        and data_type <> 'TIMESTAMP'
{% endmacro %}

{#- Spark has no information_schema here: the relation's columns from the metastore. Its
    zone-less type is TIMESTAMP_NTZ (its TIMESTAMP is an instant, shown in the session's zone). -#}
{% macro spark__test_is_utc_timestamp(model, column_name) %}
    {%- set found = [] -%}
    {%- if execute -%}
        {%- for column in adapter.get_columns_in_relation(model) if column.name == column_name -%}
            {%- do found.append(column.dtype | lower) -%}
        {%- endfor -%}
    {%- endif -%}
    select '{{ column_name }}' as column_name, '{{ found | join(",") }}' as data_type
    where {{ 'false' if found == ['timestamp_ntz'] or not execute else 'true' }}
{% endmacro %}
