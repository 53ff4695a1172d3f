{#
    Raw tables are append-only: a record re-sent in a later file, or a correction arriving late,
    is a second row with the same record id. latest_load_rows is a subquery over `relation`
    (optionally filtered by `where`) with one row per record id: the latest load (`_loaded_at`),
    ties broken by `_load_id` and then the later `_source_line` (a record repeated inside one
    file: the last occurrence wins). Use it as the FROM of the CTE that reads the source, before
    any renaming; record ids may be expressions.

    Only the ids that repeat go through the row_number window; the rest pass by an anti join.
    A window over every row carries every column through its partitioning: on 15M web events
    (300k customers, no repeated id) the deduplicated copy took 61.4 s that way against 36.3 s
    this way, and a plain copy 31.3 s. NULL ids compare equal, as in the window's partitions.
#}
{% macro latest_load_rows(relation, record_id_columns, where=none) -%}
    {{ adapter.dispatch('latest_load_rows', 'crm360')(relation, record_id_columns, where) }}
{%- endmacro %}

{% macro default__latest_load_rows(relation, record_id_columns, where=none) -%}
    {%- set keys = [] -%}
    {%- for _ in record_id_columns %}{% do keys.append('_record_key_' ~ loop.index) %}{% endfor -%}
    {%- set same = [] -%}
    {%- for k in keys %}{% do same.append('r.' ~ k ~ ' is not distinct from d.' ~ k) %}{% endfor -%}
    (
        with _loads as not materialized (
            select *,
                {%- for c in record_id_columns %}
                {{ c }} as {{ keys[loop.index0] }}{{ ',' if not loop.last }}
                {%- endfor %}
            from {{ relation }}
            {%- if where %}
            where {{ where }}
            {%- endif %}
        ),

        _repeated as (
            select {{ keys | join(', ') }} from _loads group by all having count(*) > 1
        )

        select * exclude ({{ keys | join(', ') }})
        from _loads r anti join _repeated d on {{ same | join(' and ') }}
        union all
        select * exclude ({{ keys | join(', ') }}) from (
            select r.* from _loads r semi join _repeated d on {{ same | join(' and ') }}
            qualify row_number() over (
                partition by {{ keys | join(', ') }}
                order by _loaded_at desc, _load_id desc, _source_line desc
            ) = 1
        )
    )
{%- endmacro %}
