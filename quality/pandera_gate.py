"""Run a pandera table spec inside the engine (DuckDB, or Spark through ibis): one CheckResult per rule.

Types, not-null and unique keys are not checked here: dbt's contracts and tests hold them.
"""

from __future__ import annotations

from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir
from ibis.backends import BaseBackend

from quality.pandera_rules import Rule, TableSpec
from quality.pandera_schemas import SPECS
from quality.results import ERROR, CheckResult

SAMPLE_ROWS = 5  # enough to see the pattern in the Dagster UI; the rest stay in the warehouse


def _rows(t: ir.Table, limit: int = SAMPLE_ROWS) -> list[dict[str, Any]]:
    # only the few sample rows leave DuckDB (arrow, no pandas)
    return t.limit(limit).to_pyarrow().to_pylist()


def _result(
    spec: TableSpec, name: str, severity: str, failing: int | None, sample: dict[str, Any]
) -> CheckResult:
    return CheckResult(
        check_name=name,
        asset=spec.qualified,
        severity=severity,
        passed=failing == 0,
        failing_rows=failing,
        sample={"table": spec.qualified, **sample},
    )


def _rule(spec: TableSpec, t: ir.Table, rule: Rule) -> CheckResult:
    bad = rule.failing(t)
    failing = int(bad.count().execute())
    rows: list[dict[str, Any]] = []
    if failing:
        shown = [c for c in dict.fromkeys((spec.key, *rule.columns)) if c in bad.columns] if rule.ok else []
        rows = _rows(bad.select(*shown) if shown else bad)
    return _result(spec, rule.name, rule.severity, failing, {"rows": rows})


def validate_table(
    con: duckdb.DuckDBPyConnection, table: str, schema: TableSpec | None = None
) -> list[CheckResult]:
    """Validate `schema.table` (e.g. core.fct_order_lines) against its spec; one result per rule.

    A rule that cannot run (a missing column, say) fails with
    failing_rows NULL and the error in the sample, so a broken check never passes silently.
    """
    return validate_in(ibis.duckdb.from_connection(con), schema or SPECS[table])


def validate_in(backend: BaseBackend, spec: TableSpec) -> list[CheckResult]:
    """validate_table on any ibis backend: the rules are ibis expressions, so the engine that holds the
    table counts the failing rows (pipelines/spark/gates.py passes ibis's pyspark backend)."""
    try:
        t = backend.table(spec.table, database=spec.schema)
    except Exception as exc:  # noqa: BLE001 - any lookup failure means the table is not there
        return [_result(spec, spec.rule_name("exists"), ERROR, None, {"rows": [], "error": str(exc)})]

    results = []
    for rule in spec.rules:
        try:
            results.append(_rule(spec, t, rule))
        except Exception as exc:  # noqa: BLE001 - reported as a failed rule, see docstring
            error = {"rows": [], "error": f"{type(exc).__name__}: {exc}"}
            results.append(_result(spec, rule.name, rule.severity, None, error))
    return results
