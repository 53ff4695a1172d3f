"""Feed contract for order status events: one row per status change of a shipped order line."""

from __future__ import annotations

from sources.contracts import Column, FeedContract

# Status of an order line as the order-management system exports it; the staging model, the
# core fact and the simulator read them from here.
ORDER_STATUSES = ("placed", "shipped", "delivered", "backordered", "cancelled")

CONTRACT = FeedContract(
    name="pos_order_events",
    landing_subdir="pos_order_events",
    daily=True,
    formats=("csv",),
    record_id=("transaction_id", "line_number", "status", "status_at"),
    description=(
        "One row per status change of an online or phone order line, exported on the day it happens: "
        "placed, shipped (again for a backordered residual that ships later), delivered, backordered "
        "(the residual a short shipment left) and cancelled (a residual that will not ship). Orders "
        "still in transit have placed and maybe shipped events but no delivered one."
    ),
    columns=(
        Column("transaction_id", "VARCHAR", "Order number (pos feed).", required=True, example="T-000001"),
        Column("line_number", "INTEGER", "Line within the order, from 1.", required=True, example="1"),
        Column(
            "status",
            "VARCHAR",
            "The status the line entered.",
            required=True,
            allowed=ORDER_STATUSES,
            example="shipped",
        ),
        Column(
            "status_at",
            "TIMESTAMPTZ",
            "When the line entered the status, ISO 8601 with offset.",
            required=True,
            example="2026-03-02T10:00:00+00:00",
            bounds="sale_time",
        ),
        Column(
            "quantity",
            "INTEGER",
            "Units the event concerns: ordered (placed), shipped or delivered in this parcel, left on "
            "backorder, or cancelled.",
            required=True,
            example="2",
        ),
        Column("carrier", "VARCHAR", "Carrier of the parcel (shipped and delivered events).", example="DHL"),
        Column(
            "tracking_number",
            "VARCHAR",
            "Carrier's parcel number (shipped and delivered events).",
            example="TRK-20260302-000001-1",
        ),
    ),
)
