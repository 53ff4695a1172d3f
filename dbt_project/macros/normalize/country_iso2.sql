{#
    Country as typed ('United Kingdom', 'UK', 'u.k.', 'gb', 'GBR', 'Deutschland') -> ISO 3166-1
    alpha-2 ('GB', 'DE'). Matching is on the cleaned, upper-cased text without dots. Valid
    alpha-2 codes pass through; known names, alpha-3 codes and common spellings are mapped;
    anything else becomes null rather than a code we would have to guess.
#}
{% macro country_iso2(column) -%}
    {{ adapter.dispatch('country_iso2', 'crm360')(column) }}
{%- endmacro %}

{% macro default__country_iso2(column) -%}
    {#- One MAP lookup (codes map to themselves, aliases to their code) instead of a CASE: the
        input expression appears once, which keeps the SQL small when DuckDB inlines it into
        the phone and postcode rules and into filters on the views. -#}
    {%- set lookup = {} -%}
    {%- for iso2 in iso2_codes() %}{% do lookup.update({iso2: iso2}) %}{% endfor -%}
    {%- for iso2, names in country_aliases().items() -%}
        {%- for name in names %}{% do lookup.update({name: iso2}) %}{% endfor -%}
    {%- endfor -%}
    map {
        {%- for key, iso2 in lookup.items() %}'{{ key }}': '{{ iso2 }}'{{ ', ' if not loop.last }}{% endfor -%}
    }[upper(replace({{ clean_text(column) }}, '.', ''))]
{%- endmacro %}


{# Names, alpha-3 codes and non-ISO abbreviations seen in the feeds -> alpha-2 (upper, no dots). #}
{% macro country_aliases() -%}
    {{ return({
        'GB': ['UK', 'U K', 'GBR', 'UNITED KINGDOM', 'GREAT BRITAIN', 'BRITAIN', 'ENGLAND', 'SCOTLAND',
               'WALES', 'NORTHERN IRELAND', 'UNITED KINGDOM OF GREAT BRITAIN AND NORTHERN IRELAND'],
        'IE': ['IRL', 'IRELAND', 'REPUBLIC OF IRELAND', 'EIRE', 'ÉIRE'],
        'IM': ['IMN', 'ISLE OF MAN'],
        'JE': ['JEY', 'JERSEY'],
        'GG': ['GGY', 'GUERNSEY'],
        'US': ['USA', 'U S', 'UNITED STATES', 'UNITED STATES OF AMERICA', 'AMERICA'],
        'CA': ['CAN', 'CANADA'],
        'DE': ['DEU', 'GERMANY', 'DEUTSCHLAND'],
        'FR': ['FRA', 'FRANCE'],
        'ES': ['ESP', 'SPAIN', 'ESPAÑA', 'ESPANA'],
        'IT': ['ITA', 'ITALY', 'ITALIA'],
        'NL': ['NLD', 'NETHERLANDS', 'THE NETHERLANDS', 'HOLLAND', 'NEDERLAND'],
        'BE': ['BEL', 'BELGIUM', 'BELGIQUE', 'BELGIË', 'BELGIE'],
        'LU': ['LUX', 'LUXEMBOURG'],
        'CH': ['CHE', 'SWITZERLAND', 'SCHWEIZ', 'SUISSE'],
        'AT': ['AUT', 'AUSTRIA', 'ÖSTERREICH', 'OSTERREICH'],
        'PT': ['PRT', 'PORTUGAL'],
        'DK': ['DNK', 'DENMARK', 'DANMARK'],
        'SE': ['SWE', 'SWEDEN', 'SVERIGE'],
        'NO': ['NOR', 'NORWAY', 'NORGE'],
        'FI': ['FIN', 'FINLAND', 'SUOMI'],
        'IS': ['ISL', 'ICELAND'],
        'PL': ['POL', 'POLAND', 'POLSKA'],
        'CZ': ['CZE', 'CZECHIA', 'CZECH REPUBLIC'],
        'SK': ['SVK', 'SLOVAKIA'],
        'HU': ['HUN', 'HUNGARY'],
        'RO': ['ROU', 'ROMANIA'],
        'BG': ['BGR', 'BULGARIA'],
        'HR': ['HRV', 'CROATIA'],
        'SI': ['SVN', 'SLOVENIA'],
        'GR': ['GRC', 'EL', 'GREECE'],
        'CY': ['CYP', 'CYPRUS'],
        'MT': ['MLT', 'MALTA'],
        'EE': ['EST', 'ESTONIA'],
        'LV': ['LVA', 'LATVIA'],
        'LT': ['LTU', 'LITHUANIA'],
        'TR': ['TUR', 'TURKEY', 'TÜRKIYE', 'TURKIYE'],
        'AU': ['AUS', 'AUSTRALIA'],
        'NZ': ['NZL', 'NEW ZEALAND'],
        'IN': ['IND', 'INDIA'],
        'CN': ['CHN', 'CHINA'],
        'JP': ['JPN', 'JAPAN'],
        'ZA': ['ZAF', 'SOUTH AFRICA'],
        'BR': ['BRA', 'BRAZIL', 'BRASIL'],
        'MX': ['MEX', 'MEXICO'],
        'AE': ['ARE', 'UAE', 'UNITED ARAB EMIRATES'],
        'SG': ['SGP', 'SINGAPORE'],
        'HK': ['HKG', 'HONG KONG'],
    }) }}
{%- endmacro %}


{# Every officially assigned ISO 3166-1 alpha-2 code. #}
{% macro iso2_codes() -%}
    {{ return((
        'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR '
        ~ 'BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ '
        ~ 'EC EE EG EH ER ES ET FI FJ FK FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW '
        ~ 'GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY '
        ~ 'KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU MV '
        ~ 'MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY '
        ~ 'QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG '
        ~ 'TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW'
    ).split()) }}
{%- endmacro %}
