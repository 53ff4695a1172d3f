{#- Lists (DuckDB LIST, Spark ARRAY): DuckDB writes [a, b], list() and unnest(); Spark array(),
    collect_set() and explode(). default__ = DuckDB's SQL. -#}

{#- Aggregate: the distinct non-null values, ascending. -#}
{% macro sorted_distinct_list(expression) -%}
    {{ return(adapter.dispatch('sorted_distinct_list', 'crm360')(expression)) }}
{%- endmacro %}
{% macro default__sorted_distinct_list(expression) -%}
    list(distinct {{ expression }} order by {{ expression }})
{%- endmacro %}
{% macro spark__sorted_distinct_list(expression) -%}
    array_sort(collect_set({{ expression }}))
{%- endmacro %}

{#- A list of the given SQL expressions; [] of strings when empty. -#}
{% macro list_of(items) -%}
    {{ return(adapter.dispatch('list_of', 'crm360')(items)) }}
{%- endmacro %}
{% macro default__list_of(items) -%}
    [{{ items | join(', ') }}]
{%- endmacro %}
{% macro spark__list_of(items) -%}
    {%- if items -%}array({{ items | join(', ') }}){%- else -%}cast(array() as array<string>){%- endif -%}
{%- endmacro %}

{#- Select-list item: one output row per element of a list (a whole select item, not inside an
    expression: Spark's explode must stand alone). -#}
{% macro unnest_list(list_expression) -%}
    {{ return(adapter.dispatch('unnest_list', 'crm360')(list_expression)) }}
{%- endmacro %}
{% macro default__unnest_list(list_expression) -%}
    unnest({{ list_expression }})
{%- endmacro %}
{% macro spark__unnest_list(list_expression) -%}
    explode({{ list_expression }})
{%- endmacro %}
