{#- numerator / denominator as DOUBLE, NULL when the denominator is 0 or NULL: a rate over an
    empty population is unknown, not 0 (and never a division error). -#}
{% macro kpi_safe_ratio(numerator, denominator) -%}
    (cast({{ numerator }} as double) / nullif(cast({{ denominator }} as double), 0))
{%- endmacro %}
