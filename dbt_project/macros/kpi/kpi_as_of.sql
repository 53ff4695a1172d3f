{#- The day KPIs are computed as of: var('as_of_date') when set, else the last day with an order line.
    Using the data's last day, not current_date, keeps churn and recency meaningful on replayed or
    late feeds. A scalar subquery: use it wherever a DATE expression fits. -#}
{% macro kpi_as_of() -%}
    coalesce(
        try_cast(nullif('{{ var("as_of_date", "") }}', '') as date),
        (select max(cast(transaction_at as date)) from {{ ref('fct_order_lines') }})
    )
{%- endmacro %}
