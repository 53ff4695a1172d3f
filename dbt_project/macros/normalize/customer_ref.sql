{#
    Account ids and loyalty cards as the source systems print them: upper-case, no spaces
    ('acc-000123 ' -> 'ACC-000123'), so the same reference joins across feeds.
#}
{% macro clean_ref(column) -%}
    nullif(upper(replace({{ trimmed(column) }}, ' ', '')), '')
{%- endmacro %}


{#
    customer_ref carries one of three kinds of reference, and which one is configuration per feed
    (var customer_ref_patterns: feed -> {account_id: regex, loyalty_card: regex}, set from
    CRM360_CUSTOMER_REF_PATTERNS by pipelines/customer_refs.py; defaults ^ACC- and ^LC-):
      account_id    our web account id (the web user_id); checked first
      loyalty_card  our loyalty card
      local_ref     anything else that is not empty: the sending system's own customer number,
                    namespaced by feed ('pos:100234') so it links that feed's records only.
    Patterns match anywhere in the cleaned reference (RE2; anchor with ^ and $); an empty pattern
    matches nothing. Every non-empty reference lands in exactly one of the three columns.
#}
{% macro customer_ref_matches(column, feed, kind) -%}
    {{ ref_pattern_matches(clean_ref(column), feed, kind) }}
{%- endmacro %}


{# The feed's `kind` pattern on an expression that is already a cleaned reference. #}
{% macro ref_pattern_matches(expression, feed, kind) -%}
    {{ adapter.dispatch('ref_pattern_matches', 'crm360')(expression, feed, kind) }}
{%- endmacro %}

{% macro default__ref_pattern_matches(expression, feed, kind) -%}
    {%- set pattern = var('customer_ref_patterns', {}).get(feed, {}).get(kind) -%}
    {%- if pattern -%}
    coalesce(regexp_matches({{ expression }}, '{{ pattern | replace("'", "''") }}'), false)
    {%- else -%}
    false
    {%- endif -%}
{%- endmacro %}


{% macro account_id_from_ref(column, feed) -%}
    case when {{ customer_ref_matches(column, feed, 'account_id') }} then {{ clean_ref(column) }} end
{%- endmacro %}


{% macro loyalty_card_from_ref(column, feed) -%}
    case
        when {{ customer_ref_matches(column, feed, 'account_id') }} then null
        when {{ customer_ref_matches(column, feed, 'loyalty_card') }} then {{ clean_ref(column) }}
    end
{%- endmacro %}


{% macro local_ref_from_ref(column, feed) -%}
    case
        when {{ customer_ref_matches(column, feed, 'account_id') }} then null
        when {{ customer_ref_matches(column, feed, 'loyalty_card') }} then null
        else '{{ feed }}:' || {{ clean_ref(column) }}
    end
{%- endmacro %}


{#
    True for rows of an incremental staging model whose reference sits in another column than the
    current patterns put it in (account_id / loyalty_card / local_ref), so that a change of
    CRM360_CUSTOMER_REF_PATTERNS restages the lines it concerns. `column` is the staged, already
    cleaned customer_ref. A column the relation does not have yet (staged before it existed)
    counts as null. Comparing the kind, not the three values: 0.4 s on 7M lines, 4 s the other way.
#}
{% macro customer_ref_outdated(column, feed, relation, staged=none) -%}
    {#- staged: the relation's columns when the caller knows them (no catalog lookup) -#}
    {%- set staged = staged or adapter.get_columns_in_relation(relation) | map(attribute='name') | list -%}
    {{ column }} is not null
    and case
        when {{ ref_pattern_matches(column, feed, 'account_id') }} then 'account_id'
        when {{ ref_pattern_matches(column, feed, 'loyalty_card') }} then 'loyalty_card'
        else 'local_ref'
    end is distinct from case
        {%- for name in ['account_id', 'loyalty_card', 'local_ref'] %}
        when {{ name if name in staged else 'null' }} is not null then '{{ name }}'
        {%- endfor %}
    end
{%- endmacro %}
