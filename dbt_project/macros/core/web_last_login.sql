{#
    fct_web_events: LEFT JOIN `last_login`, the login (CTE browser_logins) of the event's browser
    with the latest first_login_at at or before the event (select last_login.customer_key).
    DuckDB: an ASOF join. Spark has none: per event, the customer of the highest login_order
    among the browser's logins up to the event (login_order follows first_login_at), then a plain
    join on event_id.
#}
{% macro web_last_login_join(events, logins) -%}
    {{ return(adapter.dispatch('web_last_login_join', 'crm360')(events, logins)) }}
{%- endmacro %}

{% macro default__web_last_login_join(events, logins) -%}
    asof left join {{ logins }} as last_login
        on last_login.anonymous_id = {{ events }}.anonymous_id
        and {{ events }}.occurred_at >= last_login.first_login_at
{%- endmacro %}

{% macro spark__web_last_login_join(events, logins) -%}
    left join (
        select logged_events.event_id, max_by(logins.customer_key, logins.login_order) as customer_key
        from {{ events }} as logged_events
        inner join {{ logins }} as logins
            on logins.anonymous_id = logged_events.anonymous_id
            and logged_events.occurred_at >= logins.first_login_at
        group by logged_events.event_id
    ) as last_login
        on last_login.event_id = {{ events }}.event_id
{%- endmacro %}
