-- Which web accounts each anonymous browser (cookie) has logged in as, and since when: lets
-- identity resolution attach the anonymous visits before a login to the account that follows.
-- Any event carrying the account id counts (login, signup or a page view while logged in).
-- A shared browser links to several accounts, one row each. Key: (anonymous_id, account_id).

-- built before identity resolution, which reads it (Dagster's first dbt step)
{{ config(tags=['pre_identity']) }}

with events as (

    select anonymous_id, account_id, occurred_at
    from {{ ref('stg_web__events') }}
    where anonymous_id is not null
        and account_id is not null

),

links as (

    select
        anonymous_id,
        account_id,
        min(occurred_at) as first_login_at
    from events
    group by anonymous_id, account_id

)

select * from links
