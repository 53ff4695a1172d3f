"""What the dashboard calls the marts' codes: one place for every label a business reader sees."""

from __future__ import annotations

import math

# marts.kpi_returns_by_reason.return_reason: the POS contract's reverse-logistics reasons
# (sources/feeds/pos.py RETURN_REASONS) and the mart's 'unknown' for a line without one.
RETURN_REASONS: dict[str, str] = {
    "returns": "Customer return (changed mind)",
    "recall": "Product recall",
    "repair": "Sent for repair",
    "repackaging": "Repackaging (packaging damaged)",
    "recycling": "Take-back for recycling",
    "unknown": "No reason given",
}

# RFM segment codes (macro kpi_rfm_segment; marts.kpi_rfm_segments.segment).
RFM_SEGMENTS: dict[str, str] = {
    "champions": "Champions",
    "loyal": "Loyal",
    "potential_loyalists": "Potential loyalists",
    "new_customers": "New customers",
    "promising": "Promising",
    "need_attention": "Need attention",
    "about_to_sleep": "About to sleep",
    "at_risk": "At risk",
    "cant_lose": "Can't lose",
    "hibernating": "Hibernating",
    "lost": "Lost",
}

# Touchpoint channels (core.dim_channel keys): first touch of kpi_acquisition, forecast channels.
CHANNELS: dict[str, str] = {
    "web": "Web site visit",
    "store": "Store",
    "online": "Online shop",
    "phone_order": "Phone order",
    "callcenter_phone": "Customer service: phone",
    "callcenter_chat": "Customer service: chat",
    "callcenter_email": "Customer service: e-mail",
    "campaign_email": "Campaign: e-mail",
    "campaign_sms": "Campaign: SMS",
    "campaign_phone": "Campaign: phone call",
    "campaign_mail": "Campaign: letter",
}

# Marketing permission channels (marts.kpi_opt_in.channel, macro ops_marketing_channels).
MARKETING_CHANNELS: dict[str, str] = {
    "email": "E-mail",
    "sms": "SMS (text message)",
    "phone": "Phone call",
    "mail": "Letter (post)",
}

# Service channels of the satisfaction surveys (marts.kpi_satisfaction.channel).
SERVICE_CHANNELS: dict[str, str] = {
    "all": "All service channels",
    "phone": "Phone",
    "chat": "Chat",
    "email": "E-mail",
}

LOYALTY_STATUS: dict[str, str] = {"member": "Loyalty members", "non_member": "Non-members"}

# Churn status of the dashboard's status chart (sql.py CHURN_STATUS_SQL): marts.customer_churn's
# is_churned / is_at_risk; the reason is churn_risk_reason (the bars are stacked by it).
CHURN_STATUS: dict[str, str] = {
    "active": "Active (no risk sign)",
    "at_risk": "At risk (see reason)",
    "churned": "Churned (see reason)",
}

# marts.customer_churn.churn_risk_reason (null: an active customer with no risk sign).
CHURN_RISK_REASONS: dict[str, str] = {
    "complaint": "Complaint",
    "bad_experience": "Bad experience",
    "falling_frequency": "Buying less often",
}

# marts.customer_churn.next_action: what the CRM does next about the customer.
NEXT_ACTIONS: dict[str, str] = {
    "service_recovery_call": "Service recovery call",
    "win_back_offer": "Win-back offer",
    "retention_offer": "Retention offer",
    "no_action": "No action",
}


UNKNOWN = "Unknown"


def humanize(code: str) -> str:
    """A code nobody mapped yet reads as words: 'price_too_high' -> 'Price too high'."""
    words = code.replace("_", " ").replace("-", " ").strip()
    return words[:1].upper() + words[1:] if words else UNKNOWN


def label(mapping: dict[str, str], code: object) -> str:
    """The mapped label of `code`; unmapped codes are humanized, missing ones read 'Unknown'."""
    if code is None or (isinstance(code, float) and math.isnan(code)):
        return UNKNOWN
    text = str(code)
    return mapping.get(text, humanize(text))


def labels(mapping: dict[str, str], codes: object) -> list[str]:
    """label() of every code of an iterable (a frame's column)."""
    return [label(mapping, c) for c in codes]  # type: ignore[attr-defined]
