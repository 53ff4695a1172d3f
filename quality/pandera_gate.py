"""Run a pandera table spec inside DuckDB: one CheckResult per rule, counting failures in SQL."""

from __future__ import annotations

from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir
from pandera.config import ValidationDepth, config_context
from pandera.errors import SchemaError, SchemaErrors

from quality.pandera_rules import Rule, TableSpec, to_pandera
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


def _dtypes(spec: TableSpec, t: ir.Table) -> CheckResult:
    """Column presence and types through pandera itself (schema-only depth: no data scanned)."""
    problems: list[dict[str, Any]] = []
    try:
        with config_context(validation_depth=ValidationDepth.SCHEMA_ONLY):
            to_pandera(spec).validate(t, lazy=True)
    except SchemaErrors as exc:
        # 0.35 puts the offending column under "failure_case" for column-level errors
        problems = [
            {
                "column": e.schema.name if hasattr(e.schema, "name") else None,
                "check": str(e.check),
                "error": str(e),
            }
            for e in exc.schema_errors
        ]
    except SchemaError as exc:  # pragma: no cover - lazy=True collects instead of raising
        problems = [{"error": str(exc)}]
    return _result(spec, spec.rule_name("dtypes"), ERROR, len(problems), {"rows": problems[:SAMPLE_ROWS]})


def _not_null(spec: TableSpec, t: ir.Table, column: str) -> CheckResult:
    bad = t.filter(t[column].isnull())
    failing = int(bad.count().execute())
    rows = _rows(bad.select(spec.key)) if failing else []
    return _result(spec, spec.rule_name(f"not_null_{column}"), ERROR, failing, {"rows": rows})


def _unique(spec: TableSpec, t: ir.Table) -> CheckResult:
    key = spec.key
    dupes = t.filter(t[key].notnull()).group_by(key).aggregate(rows=ibis._.count()).filter(ibis._.rows > 1)
    # failing rows = every row that shares its key with another (2 rows for one duplicated key)
    failing = int(dupes.rows.sum().fill_null(0).execute())
    rows = _rows(dupes.order_by(key)) if failing else []
    return _result(spec, spec.rule_name(f"unique_{key}"), ERROR, failing, {"rows": rows})


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

    A rule that cannot run (a missing column, a missing dimension table) fails with
    failing_rows NULL and the error in the sample, so a broken check never passes silently.
    """
    spec = schema or SPECS[table]
    backend = ibis.duckdb.from_connection(con)
    try:
        t = backend.table(spec.table, database=spec.schema)
    except Exception as exc:  # noqa: BLE001 - any lookup failure means the table is not there
        return [_result(spec, spec.rule_name("exists"), ERROR, None, {"rows": [], "error": str(exc)})]

    runs = [
        lambda: _dtypes(spec, t),
        *[(lambda c=c: _not_null(spec, t, c)) for c in spec.not_null],
        lambda: _unique(spec, t),
    ]
    names = [spec.rule_name("dtypes"), *[spec.rule_name(f"not_null_{c}") for c in spec.not_null]]
    names.append(spec.rule_name(f"unique_{spec.key}"))
    runs += [(lambda r=r: _rule(spec, t, r)) for r in spec.rules]
    names += [r.name for r in spec.rules]
    severities = [ERROR] * (len(names) - len(spec.rules)) + [r.severity for r in spec.rules]

    results = []
    for run, name, severity in zip(runs, names, severities, strict=True):
        try:
            results.append(run())
        except Exception as exc:  # noqa: BLE001 - reported as a failed rule, see docstring
            results.append(
                _result(spec, name, severity, None, {"rows": [], "error": f"{type(exc).__name__}: {exc}"})
            )
    return results
