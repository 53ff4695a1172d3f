-- Open interactions needing a follow-up as of kpi_as_of(): unresolved contacts, complaints and
-- repeat contacts within the FCR window, with age, owner and why each is listed (rules:
-- _service__models.yml, docs/kpis.md). Grain: one row per open interaction. Key: interaction_id.
with as_of as (

    select {{ kpi_as_of() }} as as_of_date

),

contacts as (

    select contacts.*, cast(contacts.started_at as date) as start_date, as_of.as_of_date
    from {{ ref('fct_interactions') }} as contacts
    cross join as_of
    where contacts.customer_key is not null
        and cast(contacts.started_at as date) <= as_of.as_of_date

),

flagged as (

    select
        contact.*,
        contact.queue = 'complaints' or coalesce(contact.reason ilike '%complaint%', false) as is_complaint,
        -- the customer already came (inbound, same reason) within fcr_days before this contact
        contact.direction = 'inbound' and contact.answered_at is not null and exists (
            select 1 from contacts as earlier
            where earlier.customer_key = contact.customer_key
                and earlier.reason = contact.reason
                and earlier.direction = 'inbound'
                and earlier.started_at < contact.started_at
                and earlier.started_at >= {{ timestamp_add_days('contact.started_at', '-' ~ var('fcr_days')) }}
        ) as is_repeat,
        -- settled: a later contact of the customer with the same reason, on or before as-of, resolved
        exists (
            select 1 from contacts as later
            where later.customer_key = contact.customer_key
                and later.reason = contact.reason
                and later.started_at > contact.started_at
                and later.resolved
        ) as is_settled
    from contacts as contact
    where not coalesce(contact.abandoned, false) and contact.queue <> 'telesales'

),

listed as (

    select
        *,
        case
            when is_complaint and resolved is distinct from true then 'complaint'
            when is_repeat and as_of_date < start_date + {{ var('fcr_days') }} then 'repeat_contact'
            when resolved = false then 'unresolved'
        end as followup_reason
    from flagged
    where not is_settled
        and {{ days_between('start_date', 'as_of_date') }} <= {{ var('followup_max_age_days') }}

)

select
    interaction_id,
    customer_key,
    started_at,
    channel,
    direction,
    queue,
    reason,
    outcome,
    resolved,
    followup_reason,
    cast({{ days_between('start_date', 'as_of_date') }} as integer) as age_days,
    case when agent_id is not null then 'agent' else 'queue' end as owner_type,
    coalesce(agent_id, queue) as owner,
    agent_key,
    as_of_date
from listed
where followup_reason is not null
