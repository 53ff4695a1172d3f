"""The machinery behind the pandera gates: named rules, table specs, column types and their pandera form."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import ibis.expr.datatypes as dt
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
    """One warehouse table: column types, key and not-null columns, and the row/aggregate rules."""

    schema: str
    table: str
    dtypes: dict[str, dt.DataType]
    key: str
    not_null: tuple[str, ...] = ()
    rules: tuple[Rule, ...] = field(default_factory=tuple)

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.table}"

    def rule_name(self, suffix: str) -> str:
        return f"pandera:{self.table}:{suffix}"


# DuckDB TIMESTAMP is microseconds: ibis reads it as timestamp(6), which plain timestamp does not match
S, I32, D, TS, B = dt.string, dt.int32, dt.date, dt.Timestamp(scale=6), dt.boolean
DEC12, DEC14 = dt.Decimal(12, 2), dt.Decimal(14, 2)
_TYPES = {"S": S, "I32": I32, "D": D, "TS": TS, "B": B, "DEC12": DEC12, "DEC14": DEC14}


def _cols(names: str) -> tuple[str, ...]:
    return tuple(names.split())


def _types(**columns_by_type: str) -> dict[str, dt.DataType]:
    """_types(S="a b", I32="c") -> {"a": string, "b": string, "c": int32}."""
    return {c: _TYPES[t] for t, cols in columns_by_type.items() for c in cols.split()}


def _check(rule: Rule) -> pa.Check:
    if rule.ok is not None:
        ok = rule.ok
        return pa.Check(lambda data: ok(data.table).fill_null(True), name=rule.name)
    return pa.Check(lambda data: rule.failing(data.table).count() == 0, name=rule.name)


def to_pandera(spec: TableSpec) -> pa.DataFrameSchema:
    """The spec as a pandera DataFrameSchema: `schema.validate(ibis_table, lazy=True)` runs it all."""
    columns = {
        name: pa.Column(dtype, nullable=name not in spec.not_null, unique=name == spec.key)
        for name, dtype in spec.dtypes.items()
    }
    return pa.DataFrameSchema(columns, checks=[_check(r) for r in spec.rules], name=spec.qualified)
