{#
    The newest value of `column` in the incremental model being built ({{ this }}), or `default` when
    the table has no such column yet (built before the column existed: the first run after the
    upgrade then restates everything). In unit tests `this` is a fixture, assumed to have it.
#}
{% macro watermark(column, default="'-infinity'::timestamp") -%}
    {%- set present = true -%}
    {%- if execute and this is not string -%}
        {%- set present = column in (adapter.get_columns_in_relation(this) | map(attribute='name') | list) -%}
    {%- endif -%}
    {%- if present -%}
    (select coalesce(max(wm.{{ column }}), {{ default }}) from {{ this }} as wm)
    {%- else -%}
    {{ default }}
    {%- endif -%}
{%- endmacro %}
