{#
    Enforced contracts on Spark. The models' yml states DuckDB's type names (a test checks them
    against the DuckDB build); dbt-spark checks a contract by casting NULL to each stated type, and
    Spark has no VARCHAR without a length and calls DuckDB's TIMESTAMP (no time zone)
    TIMESTAMP_NTZ. So on Spark the stated types are translated first; others (INTEGER, BIGINT,
    DOUBLE, DECIMAL(p,s), DATE, BOOLEAN, STRING, TIMESTAMP_NTZ) are the same on both engines.
#}
{% macro spark_type_of_duckdb_type(data_type) -%}
    {%- set names = {
        'varchar': 'STRING',
        'text': 'STRING',
        'timestamp': 'TIMESTAMP_NTZ',
        'timestamptz': 'TIMESTAMP',
        'timestamp with time zone': 'TIMESTAMP',
        'varchar[]': 'ARRAY<STRING>',
    } -%}
    {{- return(names.get(data_type | trim | lower, data_type)) -}}
{%- endmacro %}

{% macro spark__get_empty_schema_sql(columns) -%}
    {%- set translated = {} -%}
    {%- for name in columns -%}
        {%- set column = {} -%}
        {%- do column.update(columns[name]) -%}
        {%- if column.get('data_type') is not none -%}
            {%- do column.update({'data_type': spark_type_of_duckdb_type(column['data_type'])}) -%}
        {%- endif -%}
        {%- do translated.update({name: column}) -%}
    {%- endfor -%}
    {{ dbt.default__get_empty_schema_sql(translated) }}
{%- endmacro %}
