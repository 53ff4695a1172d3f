-- Agent dimension: one row per call-center agent id that handled an interaction, with the
-- queue and medium the agent works most (ties: alphabetically first) and when the agent was
-- first and last seen. Key: agent_key.

{#- nulls last spelled out: DuckDB's default for ascending orders, Spark's is nulls first #}
with handled as (

    select agent_id, queue, channel, started_at
    from {{ ref('stg_callcenter__interactions') }}
    where agent_id is not null

),

agents as (

    select
        agent_id,
        min(started_at) as first_interaction_at,
        max(started_at) as last_interaction_at
    from handled
    group by agent_id

),

primary_queue as (

    -- counted in a subquery first: Spark orders no window of a grouped query by an aggregate
    select agent_id, queue
    from (select agent_id, queue, count(*) as contacts from handled group by agent_id, queue)
    qualify row_number() over (partition by agent_id order by contacts desc, queue nulls last) = 1

),

primary_channel as (

    select agent_id, channel
    from (select agent_id, channel, count(*) as contacts from handled group by agent_id, channel)
    qualify row_number() over (partition by agent_id order by contacts desc, channel nulls last) = 1

)

select
    {{ surrogate_key(['agents.agent_id']) }} as agent_key,
    agents.agent_id,
    primary_queue.queue as primary_queue,
    primary_channel.channel as primary_channel,
    agents.first_interaction_at,
    agents.last_interaction_at
from agents
left join primary_queue on primary_queue.agent_id = agents.agent_id
left join primary_channel on primary_channel.agent_id = agents.agent_id
