{#
    Postcodes -> upper case with the spacing the country's postal service prints, when the
    compacted value (letters and digits only) has that country's shape:
      GB, IM, JE, GG  'sw1a1aa', 'SW1A  1AA' -> 'SW1A 1AA' (one space before the 3-char inward code)
      IE (Eircode)    'd02x285'              -> 'D02 X285'
      CA              'k1a0b1'               -> 'K1A 0B1'
      NL              '1234ab'               -> '1234 AB'
    Records without a country are treated as GB, like phones. Anything else (other countries,
    values without the expected shape) is only cleaned and upper-cased, never dropped: a
    postcode is too useful for matching to throw away because it looks odd.
    Expects the ISO-2 country already normalized (a column name or expression).
#}
{% macro normalize_postcode(postcode_column, country_iso2_expression) -%}
    {{ adapter.dispatch('normalize_postcode', 'crm360')(postcode_column, country_iso2_expression) }}
{%- endmacro %}

{% macro default__normalize_postcode(postcode_column, country_iso2_expression) -%}
    {%- set compact = "upper(regexp_replace(" ~ postcode_column ~ ", '[^A-Za-z0-9]', '', 'g'))" -%}
    {%- set country = "coalesce(" ~ country_iso2_expression ~ ", 'GB')" -%}
    case
        when {{ clean_text(postcode_column) }} is null then null
        when {{ country }} in ('GB', 'IM', 'JE', 'GG')
            and regexp_full_match({{ compact }}, '[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}')
            then left({{ compact }}, length({{ compact }}) - 3) || ' ' || right({{ compact }}, 3)
        when {{ country }} = 'IE' and regexp_full_match({{ compact }}, '([AC-FHKNPRTV-Y][0-9]{2}|D6W)[0-9AC-FHKNPRTV-Y]{4}')
            then left({{ compact }}, 3) || ' ' || right({{ compact }}, 4)
        when {{ country }} = 'CA' and regexp_full_match({{ compact }}, '[A-Z][0-9][A-Z][0-9][A-Z][0-9]')
            then left({{ compact }}, 3) || ' ' || right({{ compact }}, 3)
        when {{ country }} = 'NL' and regexp_full_match({{ compact }}, '[0-9]{4}[A-Z]{2}')
            then left({{ compact }}, 4) || ' ' || right({{ compact }}, 2)
        else upper({{ clean_text(postcode_column) }})
    end
{%- endmacro %}
