{#
    Account ids and loyalty cards as the source systems print them: upper-case, no spaces
    ('acc-000123 ' -> 'ACC-000123'), so the same reference joins across feeds.
#}
{% macro clean_ref(column) -%}
    nullif(upper(replace({{ trimmed(column) }}, ' ', '')), '')
{%- endmacro %}


{#
    customer_ref carries either kind of reference; the prefix says which. An account id
    (ACC-...) is the web user_id; a loyalty card (LC-...) is only known to stores.
#}
{% macro account_id_from_ref(column) -%}
    case when starts_with({{ clean_ref(column) }}, 'ACC-') then {{ clean_ref(column) }} end
{%- endmacro %}


{% macro loyalty_card_from_ref(column) -%}
    case when starts_with({{ clean_ref(column) }}, 'LC-') then {{ clean_ref(column) }} end
{%- endmacro %}
