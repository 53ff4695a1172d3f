{#- Self-service topic of a web page URL, else null: order_status (/order-status, /account/orders...),
    shipping (/delivery, /help/shipping, /help/delivery-times, /help/track-parcel), account (/account
    and its details, addresses, password and preferences pages; not login, signup or logout) and faq
    (/returns, /help and any other /help page). Matched on the lower-cased path: scheme, host, query
    and fragment are ignored, a trailing slash too. trim(trailing ...): Spark's rtrim takes its
    arguments the other way round. -#}
{% macro self_service_topic(url) -%}
    {%- set path -%}
        trim(trailing '/' from regexp_extract(lower({{ url }}), '^(?:[a-z][a-z0-9+.-]*://[^/?#]*)?([^?#]*)', 1))
    {%- endset -%}
    case
        when {{ regex_full_match(path, "'/order-status|/account/orders(/.*)?'") }} then 'order_status'
        when {{ regex_full_match(path, "'/delivery|/help/(shipping|delivery-times|track-parcel)'") }} then 'shipping'
        when {{ regex_full_match(path, "'/account(/(details|addresses|password|preferences))?'") }} then 'account'
        when {{ regex_full_match(path, "'/returns|/help(/.*)?'") }} then 'faq'
    end
{%- endmacro %}
