{#
    Use a model's custom schema verbatim: models configured with `+schema: staging` land in
    schema `staging`, not dbt's default `<target_schema>_staging`. The warehouse has one
    environment per DuckDB file, so there is nothing to prefix schemas with; Dagster, the BI
    layer and the tests all address `staging.*`, `intermediate.*`, `core.*`, `marts.*`.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
