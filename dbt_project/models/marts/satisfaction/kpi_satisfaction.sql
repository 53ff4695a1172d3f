-- CSAT and NPS of call-center contacts over time and by channel: one row per month and channel
-- (phone, chat, email) with at least one survey answer, plus channel 'all' per month (every
-- channel together). Month = calendar month the contact started, up to kpi_as_of(). avg_csat =
-- mean CSAT (1-5); csat_top2_share = answers of 4 or 5 / CSAT answers; NPS (macro kpi_nps) =
-- (promoters 9-10 - detractors 0-6) / NPS answers x 100. Key: month, channel.

with answers as (

    select
        cast(date_trunc('month', started_at) as date) as month,
        channel,
        csat,
        nps
    from {{ ref('fct_interactions') }}
    where (csat is not null or nps is not null)
        and cast(started_at as date) <= {{ kpi_as_of() }}

)

select
    month,
    coalesce(channel, 'all') as channel,
    cast(count(csat) as integer) as csat_responses,
    avg(csat) as avg_csat,
    {{ kpi_safe_ratio('count(csat) filter (where csat >= 4)', 'count(csat)') }} as csat_top2_share,
    cast(count(nps) as integer) as nps_responses,
    cast({{ kpi_nps_promoters('nps') }} as integer) as promoters,
    cast(count(nps) filter (where nps between 7 and 8) as integer) as passives,
    cast({{ kpi_nps_detractors('nps') }} as integer) as detractors,
    {{ kpi_nps('nps') }} as nps
from answers
group by grouping sets ((month, channel), (month))
