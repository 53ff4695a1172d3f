"""The machinery behind the pandera gates: named rules, table specs and their pandera form.

A spec states only rules dbt does not: column types, not-null, unique keys, references and accepted
values are the dbt contracts' and data tests' (docs/quality.md, "Who checks what";
tests/test_quality_one_source.py fails when a rule here repeats one of them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import ibis.expr.types as ir
import pandera.ibis as pa

from quality.results import ERROR

Predicate = Callable[[ir.Table], ir.BooleanValue]
Failures = Callable[[ir.Table], ir.Table]


@dataclass(frozen=True)
class Rule:
    """A rule: either `ok` per row (NULL counts as passing) or `failures`, a table of failing items."""

    name: str
    severity: str = ERROR
    ok: Predicate | None = None
    failures: Failures | None = None
    columns: tuple[str, ...] = ()  # what a sample row shows (besides the key)

    def failing(self, t: ir.Table) -> ir.Table:
        if self.failures is not None:
            return self.failures(t)
        assert self.ok is not None
        return t.filter(~self.ok(t).fill_null(True))


@dataclass(frozen=True)
class TableSpec:
    """One warehouse table and its row/aggregate rules; `key` names a failing row in the samples
    (that it is unique and not null is dbt's test, not this spec's)."""

    schema: str
    table: str
    key: str
    rules: tuple[Rule, ...] = field(default_factory=tuple)

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.table}"

    def rule_name(self, suffix: str) -> str:
        return f"pandera:{self.table}:{suffix}"


def _check(rule: Rule) -> pa.Check:
    if rule.ok is not None:
        ok = rule.ok
        return pa.Check(lambda data: ok(data.table).fill_null(True), name=rule.name)
    return pa.Check(lambda data: rule.failing(data.table).count() == 0, name=rule.name)


def to_pandera(spec: TableSpec) -> pa.DataFrameSchema:
    """The spec as a pandera DataFrameSchema: `schema.validate(ibis_table, lazy=True)` runs every rule.

    No columns: their types are the dbt contract's, their not-null and unique tests dbt's.
    """
    return pa.DataFrameSchema(checks=[_check(r) for r in spec.rules], name=spec.qualified)
