{#
    The contact columns every contact-bearing feed carries, normalized the same way in every
    staging model (issue: one rule per column, not one per feed). Phones and postcodes depend on
    the record's ISO-2 country, so they are finished by normalize_contact_columns() in a later CTE
    that can see the normalized country.
#}
{% macro contact_columns() %}
        {{ proper_case('first_name') }} as first_name,
        {{ proper_case('last_name') }} as last_name,
        {{ normalize_email('email') }} as email,
        {{ email_canonical(normalize_email('email')) }} as email_canonical,
        phone,
        {{ clean_text('address_line1') }} as address_line1,
        {{ clean_text('address_line2') }} as address_line2,
        {{ proper_case('city') }} as city,
        postcode,
        {{ proper_case('region') }} as region,
        {{ country_iso2('country') }} as country,
        date_of_birth,
{%- endmacro %}

{#- [column, expression] pairs for replace_columns(). -#}
{% macro normalize_contact_columns() %}
    {{ return([
        ['phone', normalize_phone('phone', 'country')],
        ['postcode', normalize_postcode('postcode', 'country')],
    ]) }}
{%- endmacro %}

{# Where each staged row came from: the raw load, file and line (the loader's metadata). #}
{% macro lineage_columns() %}
        _load_id as load_id,
        _source_file as source_file,
        _source_line as source_line,
        {{ to_utc('_loaded_at') }} as loaded_at
{%- endmacro %}


{#- A row of intermediate.int_contact_records that identity resolution needs: it carries a customer
    reference or any contact column (the rule each feed's branch of that model applies). -#}
{% macro contact_bearing() -%}
    coalesce(
        account_id, loyalty_card, local_ref, first_name, last_name, email, email_canonical, phone,
        address_line1, address_line2, city, postcode, region, country, cast(date_of_birth as varchar)
    ) is not null
{%- endmacro %}
