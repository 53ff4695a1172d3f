"""Hand-written raw rows for the staging tests, each carrying dirt that staging must clean up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from sources.feeds import FEEDS
from sources.ingest.schema import ensure_schema

# (load metadata, contract columns) per raw row
Rows = list[tuple[dict[str, Any], dict[str, Any]]]

# Load metadata of the two files every feed arrives in: the second one re-sends records.
LOAD_1 = {"_load_id": "L-001", "_loaded_at": "2026-03-02 06:00:00+00"}
LOAD_2 = {"_load_id": "L-002", "_loaded_at": "2026-03-03 06:00:00+00"}

# Hand-written raw rows, each carrying some dirt staging must clean up. Metadata is added by
# _insert; rows listed under LOAD_2 are the later file.
RAW_ROWS: dict[str, Rows] = {
    "web": [
        # anonymous page view: no account, no contact -> not a contact record
        (
            LOAD_1,
            {
                "event_id": "e-1",
                "event_type": "page_view",
                "anonymous_id": "a-1",
                "occurred_at": "2026-03-01T09:00:00+01:00",
            },
        ),
        (
            LOAD_1,
            {
                "event_id": "e-2",
                "event_type": "Login ",
                "anonymous_id": "a-1",
                "user_id": " acc-000123",
                "occurred_at": "2026-03-01T09:05:00+01:00",
            },
        ),
        # e-2 re-sent in the later file with a corrected time: the later load wins
        (
            LOAD_2,
            {
                "event_id": "e-2",
                "event_type": "login",
                "anonymous_id": "a-1",
                "user_id": "ACC-000123",
                "occurred_at": "2026-03-01T09:06:00+01:00",
            },
        ),
        (
            LOAD_1,
            {
                "event_id": "e-3",
                "event_type": "form_submit",
                "anonymous_id": "a-2",
                "occurred_at": "2026-03-01T23:30:00-05:00",
                "first_name": "  ANNA ",
                "last_name": "schmidt",
                "email": " Anna.Schmidt+News@Example.COM ",
                "phone": "(020) 7946-0123",
                "country": "uk",
                "postcode": "sw1a1aa",
            },
        ),
    ],
    "pos": [
        (
            LOAD_1,
            {
                "transaction_id": "T-1",
                "line_number": 1,
                "store_id": "s-001",
                "sku": "SKU-1",
                "transaction_at": "2026-03-01T12:00:00+00:00",
                "quantity": 1,
                "unit_price": "10.00",
                "amount": "10.00",
                "customer_ref": "lc-0001234",
                "first_name": "anna",
                "email": "ANNA@example.com",
                "phone": "020 7946 0123",
                "country": "United Kingdom",
                "channel": "Store",
                "payment_type": "CARD",
            },
        ),
        (
            LOAD_1,
            {
                "transaction_id": "T-1",
                "line_number": 2,
                "store_id": "S-001",
                "sku": "SKU-2",
                "transaction_at": "2026-03-01T12:00:00+00:00",
                "quantity": 2,
                "unit_price": "5.00",
                "amount": "10.00",
                "customer_ref": "LC-0001234",
                "email": "other@example.com",
            },
        ),
        # line 1 re-sent with a corrected amount
        (
            LOAD_2,
            {
                "transaction_id": "T-1",
                "line_number": 1,
                "store_id": "S-001",
                "sku": "SKU-1",
                "transaction_at": "2026-03-01T12:00:00+00:00",
                "quantity": 1,
                "unit_price": "10.00",
                "amount": "9.00",
                "customer_ref": "LC-0001234",
                "first_name": "anna",
                "email": "ANNA@example.com",
                "phone": "020 7946 0123",
                "country": "United Kingdom",
                "channel": "store",
                "payment_type": "card",
            },
        ),
        # anonymous cash sale -> not a contact record
        (
            LOAD_1,
            {
                "transaction_id": "T-2",
                "line_number": 1,
                "store_id": "S-002",
                "sku": "SKU-3",
                "transaction_at": "2026-03-01T13:00:00+00:00",
                "quantity": 1,
                "unit_price": "3.50",
                "amount": "3.50",
                "payment_type": "cash",
            },
        ),
    ],
    "callcenter": [
        (
            LOAD_1,
            {
                "interaction_id": "I-1",
                "channel": "Phone",
                "direction": "inbound",
                "queue": "service",
                "started_at": "2026-03-01T10:00:00+01:00",
                "ended_at": "2026-03-01T10:06:40+01:00",
                "abandoned": False,
                "customer_ref": "ACC-000123",
                "phone": "00442079460123",
                "last_name": "O'BRIEN",
            },
        ),
    ],
    "response_list": [
        (
            LOAD_1,
            {
                "response_id": "R-1",
                "campaign_id": "cmp-2026-03",
                "response_channel": "email",
                "responded_at": "2026-03-02T08:00:00+00:00",
                "consent_email": True,
                "first_name": "anna-maria",
                "email": "anna.schmidt+spring@example.com",
                "phone": "+44 20 7946 0123",
                "country": "United Kingdom",
                "postcode": "SW1A  1AA",
                "city": " london ",
                "address_line1": " 12  High   Street ",
            },
        ),
    ],
    "compiled_list": [
        (
            LOAD_1,
            {
                "record_id": "V1-L07-000001",
                "vendor": "Acme-Data",
                "list_id": "L07",
                "last_name": "SMITH",
                "phone": "020 7946 0999",
                "country": "gb",
                "date_of_birth": "1984-03-21",
            },
        ),
        # no contact detail at all -> not a contact record
        (LOAD_1, {"record_id": "V1-L07-000002", "vendor": "acme-data", "list_id": "L07"}),
    ],
    "campaign_audience": [
        (
            LOAD_1,
            {
                "campaign_id": "CMP-2026-03",
                "customer_ref": "acc-000123",
                "cell": "treatment",
                "launched_at": "2026-03-01T07:00:00+00:00",
            },
        ),
        # the same member in the later export, written differently: still one member
        (
            LOAD_2,
            {
                "campaign_id": "CMP-2026-03",
                "customer_ref": "ACC-000123",
                "cell": "Treatment",
                "launched_at": "2026-03-01T07:00:00+00:00",
            },
        ),
    ],
}


def _insert(con: duckdb.DuckDBPyConnection, feed: str, rows: Rows) -> None:
    """Append rows to raw.<feed> the way the loader does, with file and line metadata."""
    for line, (load, row) in enumerate(rows, start=2):
        values = {**row, **load, "_source_file": f"{feed}/{load['_load_id']}.csv", "_source_line": line}
        names = ", ".join(f'"{name}"' for name in values)
        marks = ", ".join("?" for _ in values)
        con.execute(f"insert into raw.{feed} ({names}) values ({marks})", list(values.values()))


def _make_warehouse(path: Path, rows: dict[str, Rows]) -> None:
    con = duckdb.connect(str(path))
    try:
        ensure_schema(con, list(FEEDS.values()))
        for feed, feed_rows in rows.items():
            _insert(con, feed, feed_rows)
    finally:
        con.close()
