{#
    LEFT JOIN of the core.dim_customer version (SCD2) that was valid on `day_column` for the
    fact's `customer_key_column`: the point-in-time golden record of the customer. Versions are
    valid from `valid_from` (inclusive) to `valid_to` (exclusive, 9999-12-31 when current). A
    fact dated before the customer's first version (an anonymous visit before the first record)
    gets the first version. Select `<alias>.customer_sk`.

    The first version's range is opened to 0001-01-01 in a subquery rather than with an OR in
    the join condition: an OR there makes DuckDB fall back to a nested-loop join (minutes on a
    few hundred thousand rows), while equality + range is a hash join with a residual filter.
#}
{% macro join_customer_version(alias, customer_key_column, day_column) -%}
    left join (
        select
            customer_key,
            customer_sk,
            case when version_number = 1 then date '0001-01-01' else valid_from end as lookup_from,
            valid_to
        from {{ ref('dim_customer') }}
    ) as {{ alias }}
        on {{ alias }}.customer_key = {{ customer_key_column }}
        and cast({{ day_column }} as date) >= {{ alias }}.lookup_from
        and cast({{ day_column }} as date) < {{ alias }}.valid_to
{%- endmacro %}
