{#
    Phone numbers in any common notation -> E.164 ('+442079460123'), or null when the result
    cannot be a valid E.164 number. The rule, in order:
      1. Drop a trailing extension ('ext 12', 'x12') and the '(0)' that UK-style international
         notation puts before the area code ('+44 (0)20 ...'), then keep only the digits and
         remember whether the number started with '+'.
      2. '+' prefix             -> '+' || digits                     (already international)
      3. '00' prefix            -> '+' || digits without the '00'     (international access code)
      4. national trunk '0'     -> '+' || calling code of the record's country || digits without
                                   the '0'; Italy, San Marino and the Vatican keep the 0, which
                                   belongs to their numbers.
      5. no prefix: if the digits already start with the country's calling code and are longer
         than a national number (> 10 digits) they are international without the '+'
         ('442079460123'); otherwise the calling code is prefixed ('2125550123' in US).
    The country is the record's ISO-2 country, GB (+44) when it has none. A country whose
    calling code is not in phone_calling_codes() yields null for national numbers rather than
    a guess. The result must be '+', a non-zero digit and 7 to 14 more digits.
    Examples (GB): '+44 20 7946 0123', '020 7946 0123', '(020) 7946-0123', '00442079460123'
    -> '+442079460123'.
#}
{% macro normalize_phone(phone_column, country_iso2_expression) -%}
    {{ adapter.dispatch('normalize_phone', 'crm360')(phone_column, country_iso2_expression) }}
{%- endmacro %}

{% macro default__normalize_phone(phone_column, country_iso2_expression) -%}
    {%- set text -%}
        regexp_replace(regexp_replace({{ clean_text(phone_column) }},
            '\s*(ext\.?|extension|x)\s*[0-9]+$', '', 'i'), '\(0\)', '', 'g')
    {%- endset -%}
    {%- set digits = "regexp_replace(" ~ text ~ ", '[^0-9]', '', 'g')" -%}
    {%- set country = "coalesce(" ~ country_iso2_expression ~ ", 'GB')" -%}
    {%- set calling_code -%}
        map {
            {%- for iso2, code in phone_calling_codes().items() %}'{{ iso2 }}': '{{ code }}'{{ ', ' if not loop.last }}{% endfor -%}
        }[{{ country }}]
    {%- endset -%}
    {#- regexp_extract yields '' when the candidate is not valid E.164; nullif turns that into null. #}
    nullif(regexp_extract(
        case
            when {{ digits }} = '' then null
            when starts_with({{ text }}, '+') then '+' || {{ digits }}
            when starts_with({{ digits }}, '00') then '+' || substr({{ digits }}, 3)
            when starts_with({{ digits }}, '0') then '+' || ({{ calling_code }})
                || case when {{ country }} in ('IT', 'SM', 'VA') then {{ digits }} else substr({{ digits }}, 2) end
            when starts_with({{ digits }}, {{ calling_code }}) and length({{ digits }}) > 10
                then '+' || {{ digits }}
            else '+' || ({{ calling_code }}) || {{ digits }}
        end,
        '^\+[1-9][0-9]{7,14}$'), '')
{%- endmacro %}


{# ITU calling codes of the countries the business sees; extend when a new market opens. #}
{% macro phone_calling_codes() -%}
    {{ return({
        'GB': '44', 'IM': '44', 'JE': '44', 'GG': '44', 'IE': '353', 'US': '1', 'CA': '1',
        'DE': '49', 'FR': '33', 'ES': '34', 'IT': '39', 'SM': '378', 'VA': '39', 'NL': '31',
        'BE': '32', 'LU': '352', 'CH': '41', 'LI': '423', 'AT': '43', 'PT': '351', 'DK': '45',
        'SE': '46', 'NO': '47', 'FI': '358', 'IS': '354', 'PL': '48', 'CZ': '420', 'SK': '421',
        'HU': '36', 'RO': '40', 'BG': '359', 'HR': '385', 'SI': '386', 'GR': '30', 'CY': '357',
        'MT': '356', 'EE': '372', 'LV': '371', 'LT': '370', 'MC': '377', 'AD': '376', 'GI': '350',
        'TR': '90', 'IL': '972', 'AE': '971', 'SA': '966', 'IN': '91', 'PK': '92', 'CN': '86',
        'HK': '852', 'SG': '65', 'JP': '81', 'KR': '82', 'AU': '61', 'NZ': '64', 'ZA': '27',
        'NG': '234', 'KE': '254', 'EG': '20', 'MA': '212', 'BR': '55', 'MX': '52', 'AR': '54',
        'CL': '56', 'CO': '57',
    }) }}
{%- endmacro %}
