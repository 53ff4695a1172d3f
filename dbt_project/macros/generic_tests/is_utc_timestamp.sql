{#
    Fails when the column is not a plain TIMESTAMP: staging hands out UTC wall-clock times
    (TIMESTAMP), never TIMESTAMPTZ, whose rendering depends on the reader's session zone.
    Reads the catalog, so it also holds on an empty table.
#}
{% test is_utc_timestamp(model, column_name) %}
    select column_name, data_type
    from information_schema.columns
    where table_catalog = '{{ model.database }}'
        and table_schema = '{{ model.schema }}'
        and table_name = '{{ model.identifier }}'
        and column_name = '{{ column_name }}'
        and data_type <> 'TIMESTAMP'
{% endtest %}
