{# Spark implementations of normalize_phone and normalize_postcode: the rules of their default__ versions. #}

{% macro spark__normalize_phone(phone_column, country_iso2_expression) -%}
    {%- set text -%}
        regexp_replace(regexp_replace({{ clean_text(phone_column) }},
            r'(?i)\s*(ext\.?|extension|x)\s*[0-9]+$', ''), r'\(0\)', '')
    {%- endset -%}
    {%- set digits = "regexp_replace(" ~ text ~ ", '[^0-9]', '')" -%}
    {%- set country = "coalesce(" ~ country_iso2_expression ~ ", 'GB')" -%}
    {%- set calling_code = "try_element_at(" ~ spark_map_literal(phone_calling_codes()) ~ ", " ~ country ~ ")" -%}
    nullif(regexp_extract(
        case
            when {{ digits }} = '' then null
            when startswith({{ text }}, '+') then '+' || {{ digits }}
            when startswith({{ digits }}, '00') then '+' || substr({{ digits }}, 3)
            when startswith({{ digits }}, '0') then '+' || ({{ calling_code }})
                || case when {{ country }} in ('IT', 'SM', 'VA') then {{ digits }} else substr({{ digits }}, 2) end
            when startswith({{ digits }}, {{ calling_code }}) and length({{ digits }}) > 10
                then '+' || {{ digits }}
            else '+' || ({{ calling_code }}) || {{ digits }}
        end,
        r'^\+[1-9][0-9]{7,14}$', 0), '')
{%- endmacro %}

{% macro spark__normalize_postcode(postcode_column, country_iso2_expression) -%}
    {%- set compact = "upper(regexp_replace(" ~ postcode_column ~ ", '[^A-Za-z0-9]', ''))" -%}
    {%- set country = "coalesce(" ~ country_iso2_expression ~ ", 'GB')" -%}
    case
        when {{ clean_text(postcode_column) }} is null then null
        when {{ country }} in ('GB', 'IM', 'JE', 'GG')
            and {{ compact }} rlike r'^(?:[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2})$'
            then left({{ compact }}, length({{ compact }}) - 3) || ' ' || right({{ compact }}, 3)
        when {{ country }} = 'IE' and {{ compact }} rlike r'^(?:([AC-FHKNPRTV-Y][0-9]{2}|D6W)[0-9AC-FHKNPRTV-Y]{4})$'
            then left({{ compact }}, 3) || ' ' || right({{ compact }}, 4)
        when {{ country }} = 'CA' and {{ compact }} rlike r'^(?:[A-Z][0-9][A-Z][0-9][A-Z][0-9])$'
            then left({{ compact }}, 3) || ' ' || right({{ compact }}, 3)
        when {{ country }} = 'NL' and {{ compact }} rlike r'^(?:[0-9]{4}[A-Z]{2})$'
            then left({{ compact }}, 4) || ' ' || right({{ compact }}, 2)
        else upper({{ clean_text(postcode_column) }})
    end
{%- endmacro %}
