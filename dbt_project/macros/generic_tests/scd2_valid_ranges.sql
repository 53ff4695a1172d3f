{#
    SCD2 dimensions: the versions of each key (`key_column`) tile time without gaps or
    overlaps. Fails for every row whose range is empty (valid_from >= valid_to), whose valid_to
    is not the next version's valid_from, or whose current flag disagrees with being the last
    version ending at `open_end` (default 9999-12-31).
#}
{% test scd2_valid_ranges(model, key_column, valid_from='valid_from', valid_to='valid_to',
                          current_column='is_current', open_end='9999-12-31') %}
    with versions as (

        select
            {{ key_column }} as version_key,
            {{ valid_from }} as range_from,
            {{ valid_to }} as range_to,
            {{ current_column }} as is_current_version,
            lead({{ valid_from }}) over (
                partition by {{ key_column }} order by {{ valid_from }}
            ) as next_from
        from {{ model }}

    )

    select *
    from versions
    where range_from >= range_to
        or (next_from is not null and range_to <> next_from)
        or (next_from is null) <> (range_to = date '{{ open_end }}')
        or is_current_version <> (next_from is null)
{% endtest %}
