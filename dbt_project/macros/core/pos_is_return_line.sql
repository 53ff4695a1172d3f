{#
    A POS line is a return line when it points to an original transaction or carries a negative
    quantity (the feed's return convention). Never NULL: a line with neither is a sale line.
    fct_order_lines keeps the sale lines, fct_returns the return lines.
#}
{% macro pos_is_return_line() -%}
    (return_of_transaction_id is not null or coalesce(quantity < 0, false))
{%- endmacro %}
