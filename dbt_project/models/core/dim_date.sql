-- Calendar dimension: one row per day, whole calendar years from the year of the earliest to
-- the year of the latest date in the data (web events, POS sales and deliveries, call-center
-- contacts, campaign launches and responses, contact records). Generated, so every fact date
-- has its day even when nothing happened on it. Key: date_key (yyyymmdd).

with bounds as (

    select min(first_at) as first_at, max(last_at) as last_at
    from (
        select min(occurred_at) as first_at, max(occurred_at) as last_at
        from {{ ref('stg_web__events') }}
        union all
        select
            min(transaction_at),
            greatest(max(transaction_at), max(shipped_at), max(delivered_at), max(promised_at))
        from {{ ref('stg_pos__transaction_lines') }}
        union all
        select min(started_at), max(ended_at) from {{ ref('stg_callcenter__interactions') }}
        union all
        select min(launched_at), max(launched_at) from {{ ref('stg_campaign_audience__members') }}
        union all
        select min(observed_at), max(observed_at) from {{ ref('int_contact_records') }}
    )

),

days as (

    {{ calendar_days('bounds') }}

)

select
    {{ date_key('date_day') }} as date_key,
    date_day,
    cast(year(date_day) as integer) as year,
    cast(quarter(date_day) as integer) as quarter,
    year(date_day) || '-Q' || quarter(date_day) as year_quarter,
    cast(month(date_day) as integer) as month,
    {{ calendar_part('month_name', 'date_day') }} as month_name,
    {{ calendar_part('year_month', 'date_day') }} as year_month,
    cast(date_trunc('month', date_day) as date) as month_start,
    cast({{ calendar_part('iso_year', 'date_day') }} as integer) as iso_year,
    cast(weekofyear(date_day) as integer) as iso_week,
    cast(date_trunc('week', date_day) as date) as week_start,
    cast(day(date_day) as integer) as day_of_month,
    cast(dayofyear(date_day) as integer) as day_of_year,
    cast({{ calendar_part('iso_day_of_week', 'date_day') }} as integer) as iso_day_of_week,
    {{ calendar_part('day_name', 'date_day') }} as day_name,
    {{ calendar_part('iso_day_of_week', 'date_day') }} >= 6 as is_weekend
from days
