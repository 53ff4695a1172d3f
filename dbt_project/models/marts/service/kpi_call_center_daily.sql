-- Interaction-center KPIs per day, queue, channel, direction and agent: volumes, abandonment,
-- speed of answer, handle time, service level, first-contact resolution, CSAT and NPS, with the
-- additive counts and sums the rates come from (formulas and choices: _service__models.yml).
with contacts as (

    select *, started_at::date as date_day from {{ ref('fct_interactions') }}

),

-- First-contact resolution is judged on answered inbound contacts of a known customer with a
-- reason, once their fcr_days window has closed on the as-of day: resolved when the customer did
-- not come back (inbound) with the same reason within fcr_days days after the start.
fcr as (

    select
        contact.interaction_id,
        not exists (
            select 1 from contacts as later
            where later.customer_key = contact.customer_key
                and later.reason = contact.reason
                and later.direction = 'inbound'
                and later.started_at > contact.started_at
                and later.started_at <= {{ timestamp_add_days('contact.started_at', var('fcr_days')) }}
        ) as first_contact_resolved
    from contacts as contact
    where contact.direction = 'inbound'
        and contact.answered_at is not null
        and contact.customer_key is not null
        and contact.reason is not null
        and {{ timestamp_add_days('contact.started_at', var('fcr_days')) }} < {{ kpi_as_of() }} + 1

),

daily as (

    select
        contacts.date_day,
        contacts.queue,
        contacts.channel,
        contacts.direction,
        contacts.agent_key,
        count(*) as offered,
        count(contacts.answered_at) as answered,
        count(*) filter (where contacts.abandoned) as abandoned,
        count(*) filter (
            where contacts.answered_at is not null
                and contacts.wait_seconds <= {{ var('service_level_seconds') }}
        ) as answered_within_sl,
        coalesce(sum(contacts.wait_seconds) filter (where contacts.answered_at is not null), 0)::bigint
            as total_wait_seconds,
        coalesce(sum(contacts.handle_seconds), 0)::bigint as total_handle_seconds,
        count(fcr.interaction_id) as fcr_contacts,
        count(*) filter (where fcr.first_contact_resolved) as fcr_resolved,
        count(contacts.csat) as csat_responses,
        coalesce(sum(contacts.csat), 0)::bigint as csat_sum,
        count(contacts.nps) as nps_responses,
        count(*) filter (where contacts.nps >= 9) as promoters,
        count(*) filter (where contacts.nps <= 6) as detractors
    from contacts
    left join fcr on fcr.interaction_id = contacts.interaction_id
    group by all

)

select
    date_day,
    queue,
    channel,
    direction,
    agent_key,
    {{ kpi_service_level_scope('direction', 'channel') }} as in_service_level_scope,
    offered,
    answered,
    abandoned,
    answered_within_sl,
    total_wait_seconds,
    total_handle_seconds,
    {{ kpi_safe_ratio('abandoned', 'offered') }} as abandonment_rate,
    {{ kpi_safe_ratio('total_wait_seconds', 'answered') }} as asa_seconds,
    {{ kpi_safe_ratio('total_handle_seconds', 'answered') }} as aht_seconds,
    -- Null outside the scope (macro kpi_service_level_scope): e-mail and outbound have no service level.
    case when {{ kpi_service_level_scope('direction', 'channel') }}
        then {{ kpi_safe_ratio('answered_within_sl', 'offered') }} end as service_level,
    fcr_contacts,
    fcr_resolved,
    {{ kpi_safe_ratio('fcr_resolved', 'fcr_contacts') }} as fcr_rate,
    csat_responses,
    csat_sum,
    {{ kpi_safe_ratio('csat_sum', 'csat_responses') }} as avg_csat,
    nps_responses,
    promoters,
    detractors,
    {{ kpi_nps_from_counts('promoters', 'detractors', 'nps_responses') }} as nps
from daily
