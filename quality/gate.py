"""The quality gate before the KPI marts: failed error-severity checks, and messages naming them.

The gate stays shut across runs (docs/quality.md, "A gate that stays shut"): it reads the latest
result of every error-level check per (check, asset, load) since the gate last opened, not only this
run's. A failure stays open until a later result of the same check on the same data passes, or, for a
check on one load (Great Expectations validates each load once), until that load's rows are gone from
its raw table (deleted or moved to quarantine). Re-running proves nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import duckdb

from quality.results import ERROR, CheckResult
from sources.lib.duck import table_exists

GATE_CHECK = "quality_gate:before_marts"
# Checks on these layers guard the marts; marts' own checks (customer_360 pandera, dbt tests on marts)
# run after the gate and block only what is downstream of them.
GUARDED_PREFIXES = ("raw.", "staging.", "intermediate.", "core.")
MAX_LISTED = 20  # a message naming 300 failing GX batches helps nobody; the table has them all


@dataclass(frozen=True)
class FailedCheck:
    check_name: str
    asset: str | None
    failing_rows: int | None
    example: str | None  # the first sample row, as JSON text

    def describe(self) -> str:
        rows = "?" if self.failing_rows is None else f"{self.failing_rows:,}"
        text = f"{self.check_name} on {self.asset or '?'}: {rows} failing"
        return f"{text}; e.g. {self.example}" if self.example else text


def _first_example(sample: str | None) -> str | None:
    if not sample:
        return None
    try:
        parsed = json.loads(sample)
    except ValueError:
        return sample[:200]
    rows = parsed.get("rows") if isinstance(parsed, dict) else None
    if rows:
        return json.dumps(rows[0], default=str)[:300]
    return None


def failed_checks(
    con: duckdb.DuckDBPyConnection, run_id: str, prefixes: tuple[str, ...] = GUARDED_PREFIXES
) -> list[FailedCheck]:
    """Error-severity checks of this run that failed on an asset under one of `prefixes`.

    Reads only (the CLI calls it on a read-only connection): no audit table means no checks ran.
    """
    if not table_exists(con, "audit", "check_results"):
        return []
    like = " OR ".join("asset LIKE ?" for _ in prefixes)
    rows = con.execute(
        f"""
        SELECT check_name, asset, failing_rows, sample FROM audit.check_results
        WHERE run_id = ? AND severity = ? AND NOT passed AND ({like})
        ORDER BY asset, check_name
        """,
        [run_id, ERROR, *(p + "%" for p in prefixes)],
    ).fetchall()
    return [
        FailedCheck(name, asset, failing, _first_example(sample)) for name, asset, failing, sample in rows
    ]


def _load_present(con: duckdb.DuckDBPyConnection, asset: str, load_id: str) -> bool:
    """Whether `asset` (schema.table) still holds rows of the load; a table that is gone holds none."""
    schema, _, table = asset.partition(".")
    found = con.execute(
        "SELECT count(*) FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? "
        "AND column_name = '_load_id'",
        [schema, table],
    ).fetchone()[0]
    if not found:
        return False
    quoted = ".".join('"' + part.replace('"', '""') + '"' for part in (schema, table))
    sql = f"SELECT EXISTS (SELECT 1 FROM {quoted} WHERE _load_id = ?)"
    return bool(con.execute(sql, [load_id]).fetchone()[0])


def open_failures(
    con: duckdb.DuckDBPyConnection, prefixes: tuple[str, ...] = GUARDED_PREFIXES
) -> list[FailedCheck]:
    """Error-level failures still open, whichever run recorded them (see the module docstring).

    The latest result per (check, asset, sample.load_id) since the gate last passed decides (skipped
    dbt tests do not count); a failure about a load whose rows left its raw table is closed. Reads only.
    """
    if not table_exists(con, "audit", "check_results"):
        return []
    like = " OR ".join("asset LIKE ?" for _ in prefixes)
    rows = con.execute(
        f"""
        WITH since AS (
            SELECT coalesce(max(checked_at), TIMESTAMPTZ '1970-01-01 00:00:00+00') AS opened
            FROM audit.check_results WHERE check_name = ? AND passed
        ),
        latest AS (
            SELECT check_name, asset, severity, passed, failing_rows, sample,
                   json_extract_string(sample, '$.load_id') AS load_id
            FROM audit.check_results, since
            WHERE checked_at > since.opened AND check_name <> ? AND ({like})
              -- a skipped check (its model failed) proves nothing either way: the earlier result stands
              AND coalesce(json_extract_string(sample, '$.status'), '') <> 'skipped'
            QUALIFY row_number() OVER (
                PARTITION BY check_name, asset, json_extract_string(sample, '$.load_id')
                ORDER BY checked_at DESC
            ) = 1
        )
        SELECT check_name, asset, failing_rows, sample, load_id FROM latest
        WHERE severity = ? AND NOT passed
        ORDER BY asset, check_name, load_id
        """,
        [GATE_CHECK, GATE_CHECK, *(p + "%" for p in prefixes), ERROR],
    ).fetchall()
    return [
        FailedCheck(name, asset, failing, _first_example(sample))
        for name, asset, failing, sample, load_id in rows
        if load_id is None or asset is None or _load_present(con, asset, load_id)
    ]


def gate_result(failed: list[FailedCheck], checks_seen: int) -> CheckResult:
    """The gate's own row in audit.check_results: passed when nothing upstream failed."""
    return CheckResult(
        check_name=GATE_CHECK,
        asset="core",
        severity=ERROR,
        passed=not failed,
        failing_rows=len(failed),
        sample={"rows": [f.__dict__ for f in failed[:MAX_LISTED]], "checks_this_run": checks_seen},
    )


def failure_message(failed: list[FailedCheck]) -> str:
    lines = [f.describe() for f in failed[:MAX_LISTED]]
    if len(failed) > MAX_LISTED:
        lines.append(f"... and {len(failed) - MAX_LISTED} more in audit.check_results")
    return "\n".join(lines)
