"""The state an incremental identity run starts from, and what changed since it was written.

core.identity_records keeps every staged record of the last run (the columns of `rec`) with its
region: the connected component of all rule edges (cut ones included) and of the Splink links
that passed threshold and gate (before the guard). Everything identity decides about a record
(its rule edges, deterministic cluster, representatives, guard, final customer) depends only on
the records of its region, on the value groups its identifiers belong to, and on the block sizes
and prior of the Splink step: a region no new evidence reaches resolves as it did before.
core.identity_reps keeps the representatives with their blocking keys and region.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from typing import Any

import duckdb

from pipelines.identity.rules import IDENTIFIER_COLUMNS
from pipelines.identity.settings import IdentitySettings
from sources.lib.duck import table_exists

# Bumped when the meaning of the stored state changes: a run on an older state resolves in full.
STATE_VERSION = 1
RECORDS = "core.identity_records"
REPS = "core.identity_reps"
# The edges that make regions: every rule edge and every Splink link kept before the final guard.
REGION_EDGES = "(SELECT a, b FROM all_edges WHERE status IN ('kept', 'cut_conflict'))"
# The staged attributes a record is compared on; one that differs from the stored copy is "changed".
# observed_at counts: it picks star anchors and breaks ties in the representatives' modes.
ATTRIBUTES = (
    "observed_at", "fn", "fn_canon", "ln", "email_canonical", "phone", "address_line1", "city",
    "postcode", "dob", "account_id", "loyalty_card", "local_ref",
)  # fmt: skip
# Settings that do not change what a full resolution produces (and may differ between runs).
_NEUTRAL_SETTINGS = ("retrain_model", "incremental", "incremental_max_changed_share", "duckdb_memory_limit")


def settings_fingerprint(s: IdentitySettings) -> str:
    """A short hash of every setting that shapes the result: a change means a full resolution."""
    shaping = {k: v for k, v in asdict(s).items() if k not in _NEUTRAL_SETTINGS}
    return hashlib.sha1(json.dumps(shaping, sort_keys=True).encode()).hexdigest()[:16]


def state_statements(db: str) -> list[str]:
    """Replace the stored state from a full run's scratch tables rec, regions and id_reps."""
    return [
        f"""CREATE OR REPLACE TABLE {db}.{RECORDS} AS
        SELECT r.*, coalesce(g.lbl, r.rid) AS region FROM rec r LEFT JOIN regions g ON g.node = r.rid""",
        f"""CREATE OR REPLACE TABLE {db}.{REPS} AS
        SELECT p.*, coalesce(g.lbl, p.anchor_rid) AS region
        FROM id_reps p LEFT JOIN regions g ON g.node = p.anchor_rid""",
    ]


def _differs(left: str, right: str) -> str:
    return " OR ".join(f"{left}.{c} IS DISTINCT FROM {right}.{c}" for c in ATTRIBUTES)


def find_delta(con: duckdb.DuckDBPyConnection, prev: str) -> tuple[int, int]:
    """Create inc_new (rid: records new or changed since the state `prev`) and inc_gone (rid, region:
    stored records removed or changed); return their counts."""
    con.execute(f"""
        CREATE OR REPLACE TABLE inc_new AS
        SELECT r.rid FROM rec r LEFT JOIN {prev} s USING (rid) WHERE s.rid IS NULL OR {_differs("r", "s")};
        CREATE OR REPLACE TABLE inc_gone AS
        SELECT s.rid, s.region FROM {prev} s LEFT JOIN rec r USING (rid)
        WHERE r.rid IS NULL OR {_differs("r", "s")};
    """)
    return (
        con.execute("SELECT count(*) FROM inc_new").fetchone()[0],
        con.execute("SELECT count(*) FROM inc_gone").fetchone()[0],
    )


def _links_possible(table: str, column: str, s: IdentitySettings) -> str:
    """Values of `column` in `table` whose group can make rule edges (not a placeholder, not a
    switchboard); grouped over the values in inc_vals only."""
    limit = (
        f"count(*) <= {s.max_phone_group}"
        if column == "phone"
        else f"count(DISTINCT ln) <= {s.max_surnames_per_identifier}"
    )
    return f"""SELECT {column} AS val FROM {table}
        WHERE {column} IN (SELECT val FROM inc_vals WHERE col = '{column}')
        GROUP BY {column} HAVING count(*) > 1 AND {limit}"""


def seed_regions(con: duckdb.DuckDBPyConnection, prev: str, s: IdentitySettings) -> int:
    """Create inc_regions(region): the stored regions new evidence reaches; return their count.

    Those of removed and changed records, and of every record sharing an identifier (account, card,
    local ref, e-mail, phone) with a new, changed or removed record, unless that value's group made
    no edges before and makes none now (a placeholder e-mail on thousands of records stays put).
    A group that gains or loses a record may change all its edges (clique to star, its anchor).
    """
    columns = [*IDENTIFIER_COLUMNS.values(), "phone"]
    con.execute(
        "CREATE OR REPLACE TABLE inc_vals AS "
        + " UNION ".join(
            f"SELECT '{c}' AS col, {c} AS val FROM rec SEMI JOIN inc_new USING (rid) WHERE {c} IS NOT NULL "
            f"UNION SELECT '{c}', {c} FROM {prev} SEMI JOIN inc_gone USING (rid) WHERE {c} IS NOT NULL"
            for c in columns
        )
    )
    touched = " UNION ALL ".join(
        f"""SELECT r.rid FROM rec r WHERE r.{c} IN (
                {_links_possible("rec", c, s)} UNION {_links_possible(prev, c, s)})"""
        for c in columns
    )
    con.execute(f"""
        CREATE OR REPLACE TABLE inc_regions AS
        SELECT region FROM inc_gone
        UNION SELECT p.region FROM {prev} p SEMI JOIN ({touched}) t USING (rid)
    """)
    return con.execute("SELECT count(*) FROM inc_regions").fetchone()[0]


def build_scope(con: duckdb.DuckDBPyConnection, prev: str) -> int:
    """Create inc_scope(rid): the current records of the affected regions and every new record, and
    inc_old(rid, source_system, source_record_id): the stored records of those regions."""
    con.execute(f"""
        CREATE OR REPLACE TABLE inc_old AS
        SELECT rid, source_system, source_record_id FROM {prev} SEMI JOIN inc_regions USING (region);
        CREATE OR REPLACE TABLE inc_scope AS
        SELECT rid FROM inc_old SEMI JOIN rec USING (rid) UNION SELECT rid FROM inc_new;
    """)
    return con.execute("SELECT count(*) FROM inc_scope").fetchone()[0]


def previous_run(con: duckdb.DuckDBPyConnection, db: str) -> dict[str, Any] | None:
    """The last identity run's summary, or None before the first."""
    if not table_exists(con, "audit", "identity_runs", database=db):
        return None
    row = con.execute(
        f'SELECT summary FROM "{db}".audit.identity_runs ORDER BY finished_at DESC LIMIT 1'
    ).fetchone()
    return json.loads(row[0]) if row else None
