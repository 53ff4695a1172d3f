{#
    Unit-test fixtures on Spark. A list column's fixture value is written once, as DuckDB's list text
    ("[store, web]", "[]"): DuckDB casts that text to VARCHAR[]; Spark cannot cast text to an array,
    and dbt-spark's safe_cast passes the text through unquoted, which is not Spark SQL. This override
    (dbt looks in the root project first) turns such a value into array('store', 'web'). Every
    other value is cast as dbt-spark does.
#}
{% macro spark__safe_cast(field, type) -%}
    {%- set text = field.strip("'") if field is string else field -%}
    {%- if field is string and type.lower().startswith('array') and text.startswith('[') and text.endswith(']') -%}
        {%- set items = [] -%}
        {%- for item in text[1:-1].split(',') if item.strip() -%}
            {%- do items.append("'" ~ item.strip().replace("'", "\\'") ~ "'") -%}
        {%- endfor -%}
        cast(array({{ items | join(', ') }}) as {{ type }})
    {%- else -%}
        {%- set unsupported = type.lower().startswith(('struct', 'array', 'map')) -%}
        cast({{ text if (unsupported and field is string) else field }} as {{ type }})
    {%- endif -%}
{%- endmacro %}
