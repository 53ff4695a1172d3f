{#
    The materialization of the models that are incremental on DuckDB (delete+insert by key).

    On Spark they are rebuilt as tables. dbt-spark's incremental strategies are append,
    insert_overwrite (whole partitions), merge and microbatch. merge needs Delta, Iceberg or Hudi,
    whose jars come from Maven at session start; crm360 runs offline and keeps plain Parquet
    tables (docs/scale-out.md). The models delete and re-insert rows by key, which maps to
    neither append nor partition overwrite.
#}
{% macro incremental_materialization() -%}
    {{ return(adapter.dispatch('incremental_materialization', 'crm360')()) }}
{%- endmacro %}

{% macro default__incremental_materialization() -%}
    {{ return('incremental') }}
{%- endmacro %}

{% macro spark__incremental_materialization() -%}
    {{ return('table') }}
{%- endmacro %}
