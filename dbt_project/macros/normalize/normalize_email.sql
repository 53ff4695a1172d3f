{#
    E-mail addresses -> trimmed and lower-cased. A value without the shape
    local@domain.tld (no '@', spaces inside, 'n/a') becomes null: it cannot reach anybody and
    must not become a match key. Raw keeps the original.
#}
{% macro normalize_email(column) -%}
    {{ adapter.dispatch('normalize_email', 'crm360')(column) }}
{%- endmacro %}

{% macro default__normalize_email(column) -%}
    case
        when regexp_full_match(lower({{ clean_text(column) }}), '[^@\s]+@[^@\s]+\.[^@\s.]+')
            then lower({{ clean_text(column) }})
    end
{%- endmacro %}


{#
    Canonical form of a normalized e-mail for matching: the +alias (sub-address) of the local
    part removed, 'anna+news@example.com' -> 'anna@example.com'. Nothing else is folded (no
    Gmail dot removal): that rule holds for one provider only and would merge distinct people
    elsewhere.
#}
{% macro email_canonical(email_expression) -%}
    {{ adapter.dispatch('email_canonical', 'crm360')(email_expression) }}
{%- endmacro %}

{% macro default__email_canonical(email_expression) -%}
    regexp_replace({{ email_expression }}, '\+[^@]*@', '@')
{%- endmacro %}
