"""Raw loads changed in place after they were loaded (an erasure): what copies of raw must take again."""

from __future__ import annotations

import duckdb

from sources.lib.duck import table_exists

# One row per load and change. The ledger's rows_loaded stays true (an erasure clears columns, it
# keeps the rows), so a copy of raw cannot see the change in its counts: it compares revisions.
REVISIONS_DDL = """
CREATE SCHEMA IF NOT EXISTS audit;
CREATE TABLE IF NOT EXISTS audit.raw_load_revisions (
    feed       VARCHAR NOT NULL,
    load_id    VARCHAR NOT NULL,
    reason     VARCHAR NOT NULL,
    revised_at TIMESTAMPTZ NOT NULL
);
"""


def record_revisions(con: duckdb.DuckDBPyConnection, feed: str, loads_sql: str, reason: str) -> int:
    """Record a revision of each distinct load id `loads_sql` selects (one column); returns how many."""
    con.execute(REVISIONS_DDL)
    return con.execute(
        "INSERT INTO audit.raw_load_revisions "
        f"SELECT DISTINCT ?, load_id, ?, now() FROM ({loads_sql}) AS t(load_id)",
        [feed, reason],
    ).fetchone()[0]


def load_revisions(con: duckdb.DuckDBPyConnection, feed: str) -> dict[str, int]:
    """load id -> how many times its raw rows were changed after loading ({} when never)."""
    if not table_exists(con, "audit", "raw_load_revisions"):
        return {}
    rows = con.execute(
        "SELECT load_id, count(*) FROM audit.raw_load_revisions WHERE feed = ? GROUP BY 1", [feed]
    ).fetchall()
    return dict(rows)
