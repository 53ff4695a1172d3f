{#
    The coarse area of a postcode that analysts may see instead of the postcode itself.
    UK-shaped postcodes (as normalize_postcode prints them): the outward code, 'SW1A 1AA' ->
    'SW1A', 'M1 1AE' -> 'M1'; the same rule as identity resolution's `district`
    (pipelines/identity/representatives.py). It also gives the Eircode routing key ('D02 X285'
    -> 'D02') and the Canadian forward sortation area ('K1A 0B1' -> 'K1A'). Any other postcode
    (NL '1234 AB', DE '10115', ...): its first two letters or digits, a region-sized prefix.
    Null without a postcode.
#}
{% macro postcode_district(postcode) -%}
    {{ return(adapter.dispatch('postcode_district', 'crm360')(postcode)) }}
{%- endmacro %}

{% macro default__postcode_district(postcode) -%}
    coalesce(
        nullif(regexp_extract(upper({{ postcode }}), '^[A-Z]{1,2}[0-9][A-Z0-9]?'), ''),
        nullif(left(regexp_replace(upper({{ postcode }}), '[^A-Z0-9]', '', 'g'), 2), '')
    )
{%- endmacro %}

{#- Spark: regexp_extract needs the group (0 = the whole match); regexp_replace replaces every match. -#}
{% macro spark__postcode_district(postcode) -%}
    coalesce(
        nullif(regexp_extract(upper({{ postcode }}), '^[A-Z]{1,2}[0-9][A-Z0-9]?', 0), ''),
        nullif(left(regexp_replace(upper({{ postcode }}), '[^A-Z0-9]', ''), 2), '')
    )
{%- endmacro %}
