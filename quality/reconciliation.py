"""Reconciliation: every load adds up, and POS amounts and interaction counts per day agree across layers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

import duckdb

from quality.recon_layers import COMPARISONS, Comparison, Layer
from quality.results import ERROR, CheckResult, record_results
from sources.feeds import FEEDS
from sources.lib.duck import table_exists

EXAMPLES = 5  # mismatching keys shown in check_results.sample

RECONCILIATION_DDL = """
CREATE SCHEMA IF NOT EXISTS audit;
CREATE TABLE IF NOT EXISTS audit.reconciliation (
    run_id     VARCHAR NOT NULL,
    check_name VARCHAR NOT NULL,
    layer_a    VARCHAR NOT NULL,
    layer_b    VARCHAR NOT NULL,
    key        VARCHAR,          -- a day (YYYY-MM-DD) or a load_id
    value_a    DECIMAL(38, 2),
    value_b    DECIMAL(38, 2),
    difference DECIMAL(38, 2),   -- value_a - value_b
    checked_at TIMESTAMPTZ NOT NULL
);
"""


@dataclass(frozen=True)
class ReconRow:
    check_name: str
    layer_a: str
    layer_b: str
    key: str
    value_a: Decimal | int | None
    value_b: Decimal | int | None

    @property
    def difference(self) -> Decimal:
        return Decimal(self.value_a or 0) - Decimal(self.value_b or 0)


@dataclass
class ReconciliationRun:
    results: list[CheckResult] = field(default_factory=list)
    rows: list[ReconRow] = field(default_factory=list)  # mismatches and explained differences only
    skipped: list[str] = field(default_factory=list)  # layers not built yet, feeds never loaded

    def extend(self, other: ReconciliationRun) -> None:
        self.results += other.results
        self.rows += other.rows
        self.skipped += other.skipped


def _exists(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    return table_exists(con, *qualified.split(".", 1))


# Per load: what the ledger says, what raw and audit.quarantine hold. Keys from all three sides,
# so raw rows of a load the ledger does not know (or a ledger entry whose rows vanished) show up.
# Suppressed records (people on the suppression list, sources/privacy/suppression.py) are stored
# nowhere: the ledger's count is all there is.
_LOAD_SQL = """
WITH ledger AS (
    SELECT load_id, rows_read, rows_loaded, rows_quarantined, rows_suppressed
    FROM audit.load_ledger WHERE feed = $feed
),
raw AS (SELECT _load_id AS load_id, count(*) AS n FROM {raw} GROUP BY 1),
quarantine AS (SELECT load_id, count(*) AS n FROM audit.quarantine WHERE feed = $feed GROUP BY 1),
keys AS (SELECT load_id FROM ledger UNION SELECT load_id FROM raw UNION SELECT load_id FROM quarantine)
SELECT k.load_id, l.rows_read, l.rows_loaded, l.rows_quarantined, l.rows_suppressed,
       coalesce(r.n, 0) AS raw_rows, coalesce(q.n, 0) AS quarantined_rows
FROM keys k
LEFT JOIN ledger l USING (load_id) LEFT JOIN raw r USING (load_id) LEFT JOIN quarantine q USING (load_id)
WHERE l.load_id IS NULL
   OR l.rows_read <> l.rows_loaded + l.rows_quarantined + coalesce(l.rows_suppressed, 0)
   OR l.rows_loaded <> coalesce(r.n, 0)
   OR l.rows_quarantined <> coalesce(q.n, 0)
ORDER BY k.load_id
"""


def _load_rows(check: str, feed: str, row: tuple) -> list[ReconRow]:
    load_id, read, loaded, quarantined, suppressed, raw_rows, q_rows = row
    ledger = "audit.load_ledger"
    pairs = [
        (
            f"{ledger}.rows_read",
            f"{ledger}.rows_loaded + rows_quarantined + rows_suppressed",
            read,
            (loaded or 0) + (quarantined or 0) + (suppressed or 0),
        ),
        (f"{ledger}.rows_loaded", f"raw.{feed}", loaded, raw_rows),
        (f"{ledger}.rows_quarantined", "audit.quarantine", quarantined, q_rows),
    ]
    # a NULL ledger value is a load the ledger does not know: a difference when the table has rows
    return [
        ReconRow(check, a, b, load_id, va, vb)
        for a, b, va, vb in pairs
        if (va is None and vb) or (va is not None and va != vb)
    ]


def reconcile_loads(con: duckdb.DuckDBPyConnection, feed: str) -> ReconciliationRun:
    """rows read = rows loaded + quarantined + suppressed per load; loaded and quarantined are what
    the tables hold (suppressed records are stored nowhere)."""
    check, raw = f"reconcile_loads_{feed}", FEEDS[feed].raw_table
    out = ReconciliationRun()
    if not _exists(con, raw) or not table_exists(con, "audit", "load_ledger"):
        out.skipped.append(f"{check}: {raw} or audit.load_ledger does not exist yet (feed never loaded)")
        return out
    bad = con.execute(_LOAD_SQL.format(raw=raw), {"feed": feed}).fetchall()
    out.rows = [r for row in bad for r in _load_rows(check, feed, row)]
    cols = (
        "load_id",
        "rows_read",
        "rows_loaded",
        "rows_quarantined",
        "rows_suppressed",
        "rows_in_raw",
        "rows_in_quarantine",
    )
    sample = {
        "rows": [dict(zip(cols, row, strict=True)) for row in bad[:EXAMPLES]],
        "rule": "ledger rows_read = rows_loaded + rows_quarantined + rows_suppressed, "
        "rows_loaded = rows in raw, rows_quarantined = rows in audit.quarantine "
        "(NULL ledger values: raw rows of an unknown load)",
    }
    out.results.append(CheckResult(check, raw, ERROR, not bad, len(bad), sample))
    return out


def _totals_sql(a: Layer, b: Layer, measure: str) -> str:
    """Keys where the two layers differ on `measure` (a key missing on one side counts as 0)."""
    return f"""
        WITH a AS ({a.sql}), b AS ({b.sql}),
        keys AS (SELECT day FROM a UNION SELECT day FROM b)
        SELECT coalesce(CAST(k.day AS VARCHAR), '(no day)') AS key,
               coalesce(a.{measure}, 0) AS value_a, coalesce(b.{measure}, 0) AS value_b
        FROM keys k
        LEFT JOIN a ON a.day IS NOT DISTINCT FROM k.day
        LEFT JOIN b ON b.day IS NOT DISTINCT FROM k.day
        WHERE coalesce(a.{measure}, 0) <> coalesce(b.{measure}, 0)
        ORDER BY key
    """


def _missing(con: duckdb.DuckDBPyConnection, layers: Iterable[Layer]) -> list[str]:
    return [t for layer in layers for t in layer.tables if not _exists(con, t)]


def compare(con: duckdb.DuckDBPyConnection, comp: Comparison) -> ReconciliationRun:
    """One day-by-day comparison of two layers; a layer whose tables do not exist is skipped."""
    out = ReconciliationRun()
    missing = _missing(con, (comp.a, comp.b))
    if missing:
        out.skipped.append(f"{comp.check_name}: skipped, not built yet: {', '.join(missing)}")
        return out
    bad = con.execute(_totals_sql(comp.a, comp.b, comp.measure)).fetchall()
    out.rows = [ReconRow(comp.check_name, comp.a.name, comp.b.name, k, va, vb) for k, va, vb in bad]
    sample: dict = {
        "rows": [
            {"day": k, comp.a.name: va, comp.b.name: vb, "difference": va - vb}
            for k, va, vb in bad[:EXAMPLES]
        ],
        "rule": f"{comp.measure} per day: {comp.a.name} = {comp.b.name}",
    }
    if comp.explain is not None and not _missing(con, (comp.explain,)):
        explained = explain(con, comp)
        out.rows += explained
        sample["resent_rows_explained"] = {
            "days": len(explained),
            f"{comp.measure}_superseded": sum(r.difference for r in explained),
            "note": f"{comp.explain.name} holds re-sent and corrected records; staging keeps the latest "
            f"load of each record id, so raw is compared after the same dedupe",
        }
    out.results.append(CheckResult(comp.check_name, comp.asset, ERROR, not bad, len(bad), sample))
    return out


def explain(con: duckdb.DuckDBPyConnection, comp: Comparison) -> list[ReconRow]:
    """Days where raw with every row differs from raw deduplicated like staging: re-sent records."""
    if comp.explain is None:
        return []
    name = comp.check_name.replace("reconcile_", "resent_")
    bad = con.execute(_totals_sql(comp.explain, comp.a, comp.measure)).fetchall()
    return [ReconRow(name, comp.explain.name, comp.a.name, k, va, vb) for k, va, vb in bad]


def record_reconciliation(con: duckdb.DuckDBPyConnection, rows: list[ReconRow], run_id: str) -> None:
    con.execute(RECONCILIATION_DDL)
    if rows:
        con.executemany(
            "INSERT INTO audit.reconciliation VALUES (?, ?, ?, ?, ?, ?, ?, ?, current_timestamp)",
            [
                (run_id, r.check_name, r.layer_a, r.layer_b, r.key, r.value_a, r.value_b, r.difference)
                for r in rows
            ],
        )


def reconcile(
    con: duckdb.DuckDBPyConnection,
    run_id: str,
    feeds: Iterable[str] | None = None,
    assets: Iterable[str] | None = None,
    record: bool = True,
) -> ReconciliationRun:
    """Run the load checks of `feeds` (None: every feed) and the layer comparisons checking `assets`
    (None: all); record them in audit.check_results and audit.reconciliation under run_id."""
    out = ReconciliationRun()
    for feed in FEEDS if feeds is None else feeds:
        out.extend(reconcile_loads(con, feed))
    wanted = None if assets is None else set(assets)
    for comp in COMPARISONS:
        if wanted is None or comp.asset in wanted:
            out.extend(compare(con, comp))
    if record:
        con.execute("BEGIN TRANSACTION")
        try:
            record_results(con, out.results, run_id)
            record_reconciliation(con, out.rows, run_id)
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    return out
