{#- Which contacts the service level measures (one definition for every mart, tile and chart):
    inbound phone calls and chats, the contacts a customer waits on in a queue, against a
    threshold of var('service_level_seconds'). E-mail is answered in hours and has no seconds
    threshold; outbound calls are the firm's own and nobody waits for them. -#}
{% macro kpi_service_level_scope(direction, channel) -%}
    ({{ direction }} = 'inbound' and {{ channel }} in ('phone', 'chat'))
{%- endmacro %}
