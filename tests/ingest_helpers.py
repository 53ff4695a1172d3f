"""Small builders of landing files and a loaded warehouse for the ingestion tests."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb

from sources.contracts import Plausibility
from sources.feeds import FEEDS
from sources.ingest.loader import load_feed
from sources.ingest.results import FeedLoad

POS_HEADER = "transaction_id,line_number,store_id,transaction_at,sku,quantity,unit_price,amount"


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, str):
        text = text.encode("utf-8")
    if path.name.endswith(".gz"):
        text = gzip.compress(text)
    path.write_bytes(text)
    return path


def pos_line(tid: str, line: int = 1, qty: str = "1", amount: str = "9.99") -> str:
    return f"{tid},{line},S-001,2025-01-01T10:00:00+00:00,SKU-1,{qty},9.99,{amount}"


def web_event(event_id: str, **extra: object) -> str:
    event = {
        "event_id": event_id,
        "event_type": "page_view",
        "occurred_at": "2025-01-01T10:00:00+00:00",
        "anonymous_id": "a-1",
    }
    event.update(extra)
    return json.dumps(event)


def load(
    con: duckdb.DuckDBPyConnection,
    feed: str,
    landing: Path,
    run_id: str = "test",
    plausibility: Plausibility | None = None,
) -> FeedLoad:
    return load_feed(con, FEEDS[feed], landing, run_id, plausibility=plausibility)


def counts(con: duckdb.DuckDBPyConnection, feed: str) -> tuple[int, int]:
    raw = con.execute(f"SELECT count(*) FROM raw.{feed}").fetchone()[0]
    quarantined = con.execute("SELECT count(*) FROM audit.quarantine WHERE feed = ?", [feed]).fetchone()[0]
    return raw, quarantined


def assert_reconciled(con: duckdb.DuckDBPyConnection) -> None:
    """Every ledger entry: rows read = rows loaded + quarantined + suppressed, and the tables agree."""
    bad = con.execute(
        """
        SELECT l.load_id, l.rows_read, l.rows_loaded, l.rows_quarantined, l.rows_suppressed,
               (SELECT count(*) FROM audit.quarantine q WHERE q.load_id = l.load_id) AS q
        FROM audit.load_ledger l
        WHERE l.rows_read <> l.rows_loaded + l.rows_quarantined + l.rows_suppressed
           OR (SELECT count(*) FROM audit.quarantine q WHERE q.load_id = l.load_id) <> l.rows_quarantined
        """
    ).fetchall()
    assert bad == [], f"unreconciled loads: {bad}"
