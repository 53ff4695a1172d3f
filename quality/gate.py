"""The quality gate before the KPI marts: failed error-severity checks of a run, and messages naming them."""

from __future__ import annotations

import json
from dataclasses import dataclass

import duckdb

from quality.results import ERROR, CheckResult

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
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'audit' AND table_name = 'check_results'"
    ).fetchone()[0]
    if not exists:
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
