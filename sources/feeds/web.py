"""Feed contract for web clickstream and form events."""

from __future__ import annotations

from sources.contracts import Column, FeedContract, contact_columns

# Allowed values of event_type; the simulator (sources/dev/simulator/web.py) emits these.
EVENT_TYPES = (
    "page_view",
    "product_view",
    "search",
    "add_to_cart",
    "checkout",
    "login",
    "signup",
    "form_submit",
    "logout",
)

# Allowed values of device_type (analytics tools' device category).
DEVICE_TYPES = ("desktop", "mobile", "tablet")

CONTRACT = FeedContract(
    name="web",
    landing_subdir="web",
    daily=True,
    formats=("jsonl",),
    record_id=("event_id",),
    description=(
        "Clickstream and form events from the web site, one JSON object per line, files optionally "
        "gzipped. Also pullable from the web analytics HTTP API with cursor pagination."
    ),
    columns=(
        Column("event_id", "VARCHAR", "Unique id of the event.", required=True, example="e-000001"),
        Column(
            "event_type",
            "VARCHAR",
            "What happened.",
            required=True,
            allowed=EVENT_TYPES,
            example="page_view",
        ),
        Column(
            "occurred_at",
            "TIMESTAMPTZ",
            "When it happened, ISO 8601 with offset.",
            required=True,
            example="2026-03-01T09:15:02+00:00",
        ),
        Column(
            "anonymous_id",
            "VARCHAR",
            "First-party cookie id of the browser.",
            required=True,
            example="a-7f3c2e",
            personal="online_id",
        ),
        Column(
            "user_id",
            "VARCHAR",
            "Web account id once the visitor has logged in; the same account "
            "id appears as `customer_ref` in POS and call-center feeds.",
            example="ACC-000123",
            personal="customer_id",
        ),
        *contact_columns(),
        Column("url", "VARCHAR", "Page URL.", example="https://shop.example.com/p/SKU-0042"),
        Column("referrer", "VARCHAR", "Referring URL.", example="https://www.google.com/"),
        Column("product_sku", "VARCHAR", "SKU viewed or added to cart.", example="SKU-0042"),
        Column("utm_source", "VARCHAR", "Campaign source tag.", example="newsletter"),
        Column("utm_medium", "VARCHAR", "Campaign medium tag.", example="email"),
        Column("utm_campaign", "VARCHAR", "Campaign id tag.", example="CMP-2026-03"),
        Column(
            "device_type",
            "VARCHAR",
            "Device category the analytics tag detected from the user agent.",
            allowed=DEVICE_TYPES,
            example="mobile",
        ),
        Column(
            "locale",
            "VARCHAR",
            "Browser language tag (BCP 47, from the Accept-Language header), e.g. de-DE or en-NL.",
            example="en-GB",
        ),
    ),
)
