-- Service level and abandonment per day of the contacts in the service-level scope (macro
-- kpi_service_level_scope: inbound phone and chat), with trailing 7-day rates. Grain: one row
-- per date_day with at least one in-scope contact. Sums of kpi_call_center_daily before the
-- ratio; the dashboard's chart reads this model and its tile sums the same rows (kpi_headline).
with daily as (

    select
        date_day,
        sum(offered) as offered,
        sum(answered_within_sl) as answered_within_sl,
        sum(abandoned) as abandoned
    from {{ ref('kpi_call_center_daily') }}
    where in_service_level_scope
    group by date_day
    having sum(offered) > 0

)

select
    date_day,
    cast(offered as bigint) as offered,
    cast(answered_within_sl as bigint) as answered_within_sl,
    cast(abandoned as bigint) as abandoned,
    {{ kpi_safe_ratio('answered_within_sl', 'offered') }} as service_level,
    {{ kpi_safe_ratio('abandoned', 'offered') }} as abandonment_rate,
    {{ kpi_safe_ratio('sum(answered_within_sl) over seven_days', 'sum(offered) over seven_days') }}
        as service_level_7d,
    {{ kpi_safe_ratio('sum(abandoned) over seven_days', 'sum(offered) over seven_days') }}
        as abandonment_rate_7d
from daily
window seven_days as (order by date_day range between interval 6 day preceding and current row)
