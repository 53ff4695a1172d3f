"""Feed contract for campaign response lists."""

from __future__ import annotations

from sources.contracts import Column, FeedContract, contact_columns

CONTRACT = FeedContract(
    name="response_list",
    landing_subdir="lists/response",
    formats=("csv",),
    record_id=("response_id",),
    description="People who answered a campaign, with the consent they gave per channel.",
    columns=(
        Column("response_id", "VARCHAR", "Unique id of the response.", required=True, example="R-000001"),
        Column("campaign_id", "VARCHAR", "Campaign answered.", required=True, example="CMP-2026-03"),
        Column(
            "responded_at",
            "TIMESTAMPTZ",
            "When they answered.",
            required=True,
            example="2026-03-02T08:00:00+00:00",
        ),
        Column(
            "response_channel",
            "VARCHAR",
            "How they answered.",
            required=True,
            allowed=("email", "sms", "phone", "mail", "web"),
            example="email",
        ),
        Column("consent_email", "BOOLEAN", "Opted in to e-mail marketing.", example="true"),
        Column("consent_sms", "BOOLEAN", "Opted in to SMS marketing.", example="false"),
        Column("consent_phone", "BOOLEAN", "Opted in to phone marketing.", example="false"),
        Column("consent_mail", "BOOLEAN", "Opted in to postal marketing.", example="true"),
        *contact_columns(),
    ),
)
