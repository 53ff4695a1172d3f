"""Feed contract for call-center interactions."""

from __future__ import annotations

from sources.contracts import Column, FeedContract, contact_columns

CONTRACT = FeedContract(
    name="callcenter",
    landing_subdir="callcenter",
    daily=True,
    formats=("csv", "jsonl"),
    record_id=("interaction_id",),
    description="One row per call-center interaction (phone, chat, e-mail; inbound and outbound).",
    columns=(
        Column(
            "interaction_id", "VARCHAR", "Unique id of the interaction.", required=True, example="I-000001"
        ),
        Column(
            "channel",
            "VARCHAR",
            "Medium.",
            required=True,
            allowed=("phone", "chat", "email"),
            example="phone",
        ),
        Column(
            "direction",
            "VARCHAR",
            "Who started it.",
            required=True,
            allowed=("inbound", "outbound"),
            example="inbound",
        ),
        Column(
            "queue",
            "VARCHAR",
            "Queue or team.",
            required=True,
            allowed=("service", "telesales", "helpdesk", "chat", "complaints"),
            example="service",
        ),
        Column("agent_id", "VARCHAR", "Agent who handled it; empty when abandoned.", example="AG-017"),
        Column(
            "started_at",
            "TIMESTAMPTZ",
            "Entered the queue / started.",
            required=True,
            example="2026-03-01T10:00:00+00:00",
        ),
        Column(
            "answered_at",
            "TIMESTAMPTZ",
            "Answered by an agent; empty when abandoned.",
            example="2026-03-01T10:00:25+00:00",
        ),
        Column(
            "ended_at",
            "TIMESTAMPTZ",
            "Ended (hung up, chat closed).",
            required=True,
            example="2026-03-01T10:06:40+00:00",
        ),
        Column("hold_seconds", "INTEGER", "Seconds on hold during the conversation.", example="30"),
        Column("wrap_seconds", "INTEGER", "After-call work seconds.", example="45"),
        Column("abandoned", "BOOLEAN", "Caller gave up before an answer.", required=True, example="false"),
        Column("reason", "VARCHAR", "Contact reason.", example="delivery"),
        Column("outcome", "VARCHAR", "Outcome as coded by the agent.", example="resolved"),
        Column("resolved", "BOOLEAN", "Agent marked the issue resolved.", example="true"),
        Column(
            "customer_ref",
            "VARCHAR",
            "Account id, loyalty card or the system's own customer number the caller gave; which is "
            "which is configured per feed (CRM360_CUSTOMER_REF_PATTERNS).",
            example="ACC-000123",
            personal="customer_id",
        ),
        *contact_columns(),
        Column("order_ref", "VARCHAR", "Transaction the contact is about.", example="T-000001"),
        Column("csat", "INTEGER", "Post-contact satisfaction survey, 1-5.", example="4"),
        Column("nps", "INTEGER", "Likelihood to recommend, 0-10.", example="9"),
    ),
)
