{#
    Raw tables are append-only: a record re-sent in a later file, or a correction arriving late,
    is a second row with the same record id. Keep one row per record id: the latest load
    (`_loaded_at`), ties broken by `_load_id` and then the later `_source_line` (a record
    repeated inside one file: the last occurrence wins). Use as the QUALIFY clause of the CTE
    that reads the source, before any renaming.
#}
{% macro latest_load(record_id_columns) -%}
    qualify row_number() over (
        partition by {{ record_id_columns | join(', ') }}
        order by _loaded_at desc, _load_id desc, _source_line desc
    ) = 1
{%- endmacro %}
