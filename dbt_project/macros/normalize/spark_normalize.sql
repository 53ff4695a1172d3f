{#
    Spark implementations of the normalization macros of this folder: the same rules as their
    default__ (DuckDB) versions, in Spark SQL. Regular expressions are raw literals (r'...'):
    Spark's ordinary literals unescape backslashes. Java's regex dialect has the constructs used
    here (\s, \x{00A0}, \p{Zs}, classes and counts); rlike finds a match anywhere, so full
    matches are anchored. Maps are read with try_element_at: null for a missing key, ANSI or not.
#}

{# DuckDB's trim() drops Unicode space separators at both ends, Spark's only ' '. #}
{% macro spark__trimmed(column) -%}
    regexp_replace({{ column }}, r'^\p{Zs}+|\p{Zs}+$', '')
{%- endmacro %}

{% macro spark__clean_text(column) -%}
    nullif({{ spark__trimmed("regexp_replace(" ~ column ~ ", r'[\s\\x{00A0}]+', ' ')") }}, '')
{%- endmacro %}

{# A pattern from configuration, as a Spark string literal (backslashes and quotes escaped). #}
{% macro spark_string_literal(text) -%}
    '{{ text | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}

{% macro spark__ref_pattern_matches(expression, feed, kind) -%}
    {%- set pattern = var('customer_ref_patterns', {}).get(feed, {}).get(kind) -%}
    {%- if pattern -%}
    coalesce({{ expression }} rlike {{ spark_string_literal(pattern) }}, false)
    {%- else -%}
    false
    {%- endif -%}
{%- endmacro %}

{% macro spark__normalize_email(column) -%}
    case
        when lower({{ clean_text(column) }}) rlike r'^(?:[^@\s]+@[^@\s]+\.[^@\s.]+)$'
            then lower({{ clean_text(column) }})
    end
{%- endmacro %}

{% macro spark__email_canonical(email_expression) -%}
    regexp_replace({{ email_expression }}, r'\+[^@]*@', '@')
{%- endmacro %}

{% macro spark__proper_case(column) -%}
    array_join(transform(split(lower({{ clean_text(column) }}), ' '), w ->
        array_join(transform(split(w, '-'), h ->
            array_join(transform(split(h, ''''), p ->
                upper(left(p, 1)) || substr(p, 2)), '''')), '-')), ' ')
{%- endmacro %}

{# A Spark map literal of a dict: map('k1', 'v1', 'k2', 'v2', ...). #}
{% macro spark_map_literal(mapping) -%}
    map(
        {%- for key, value in mapping.items() %}'{{ key }}', '{{ value }}'{{ ', ' if not loop.last }}{% endfor -%}
    )
{%- endmacro %}

{% macro spark__country_iso2(column) -%}
    {%- set lookup = {} -%}
    {%- for iso2 in iso2_codes() %}{% do lookup.update({iso2: iso2}) %}{% endfor -%}
    {%- for iso2, names in country_aliases().items() -%}
        {%- for name in names %}{% do lookup.update({name: iso2}) %}{% endfor -%}
    {%- endfor -%}
    try_element_at({{ spark_map_literal(lookup) }}, upper(replace({{ clean_text(column) }}, '.', '')))
{%- endmacro %}

{% macro spark__to_utc(column) -%}
    {#- TIMESTAMP_NTZ is DuckDB's TIMESTAMP: a wall time without zone. Sessions run in UTC
        (profiles.yml), so the cast from an instant gives its UTC wall time. -#}
    cast({{ column }} as timestamp_ntz)
{%- endmacro %}

{#- The row_number window over every row: Spark has no QUALIFY, anti/semi-join union trick
    is DuckDB's optimization; pipe syntax drops the rank column afterwards. -#}
{% macro spark__latest_load_rows(relation, record_id_columns, where=none) -%}
    (
        from {{ relation }}
        {%- if where %}
        |> where {{ where }}
        {%- endif %}
        |> extend row_number() over (
            partition by {{ record_id_columns | join(', ') }}
            order by _loaded_at desc, _load_id desc, _source_line desc
        ) as _load_rank
        |> where _load_rank = 1
        |> drop _load_rank
    )
{%- endmacro %}
