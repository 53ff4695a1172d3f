"""Feed contract for campaign audiences with control cells."""

from __future__ import annotations

from sources.contracts import Column, FeedContract

CONTRACT = FeedContract(
    name="campaign_audience",
    landing_subdir="lists/audience",
    formats=("csv",),
    record_id=("campaign_id", "customer_ref"),
    description=(
        "Who each campaign targeted, exported by the marketing system: the treatment cell got the "
        "message, the control cell was held out. Needed for lift; rows name accounts, not contacts."
    ),
    columns=(
        Column("campaign_id", "VARCHAR", "Campaign.", required=True, example="CMP-2026-03"),
        Column("campaign_name", "VARCHAR", "Campaign name.", example="Spring sale"),
        Column(
            "campaign_channel",
            "VARCHAR",
            "Channel the campaign used.",
            allowed=("email", "sms", "phone", "mail"),
            example="email",
        ),
        Column(
            "launched_at",
            "TIMESTAMPTZ",
            "When the campaign went out.",
            required=True,
            example="2026-03-01T07:00:00+00:00",
        ),
        Column(
            "customer_ref",
            "VARCHAR",
            "Account id targeted.",
            required=True,
            example="ACC-000123",
            personal="customer_id",
        ),
        Column(
            "cell",
            "VARCHAR",
            "Treatment or hold-out control.",
            required=True,
            allowed=("treatment", "control"),
            example="treatment",
        ),
        Column(
            "campaign_cost",
            "DECIMAL(12,2)",
            "Total booked cost of the campaign (creative, production, sending), the same on every row "
            "of the campaign; empty when the marketing system does not export it (no ROI then).",
            example="1250.00",
        ),
    ),
)
