{#
    Names and places -> proper case: 'ANNA-MARIA  o''brien' -> 'Anna-Maria O''Brien'.
    Rule: clean the text, lower-case it, then upper-case the first letter of every word, where
    words are separated by a space, a hyphen or an apostrophe. Deliberately simple: 'McDonald'
    becomes 'Mcdonald' and 'van der Berg' becomes 'Van Der Berg'; matching uses lower-case forms,
    so the display form only has to be consistent, not perfect.
    DuckDB has no initcap(); the nested list_transform splits on each separator in turn and
    evaluates the input expression once.
#}
{% macro proper_case(column) -%}
    {{ adapter.dispatch('proper_case', 'crm360')(column) }}
{%- endmacro %}

{% macro default__proper_case(column) -%}
    array_to_string(list_transform(string_split(lower({{ clean_text(column) }}), ' '), lambda w:
        array_to_string(list_transform(string_split(w, '-'), lambda h:
            array_to_string(list_transform(string_split(h, ''''), lambda p:
                upper(left(p, 1)) || substr(p, 2)), '''')), '-')), ' ')
{%- endmacro %}
