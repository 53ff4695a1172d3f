"""One source of truth per rule: no pandera rule re-checks what a dbt contract or a dbt data test
already checks on the same table and columns (docs/quality.md, "Who checks what").

Both sides are reduced to claims (table, columns, kind):

- dbt, from the manifest: every column of an enforced contract (`data_type`), `not_null`, `unique`,
  `relationships`, `accepted_values`, `unique_combination_of_columns` (unique on its columns),
  `expression_is_true` (one `expression` claim per top-level AND term, on the model's columns
  it names) and `scd2_valid_ranges` (its `valid_from < valid_to` term). A test of severity warn
  counts too: one rule, one place; where pandera used to block and dbt only warned, the dbt test
  was made an error.
- pandera, from the specs themselves: the columns of `to_pandera(spec)` (dtype, not nullable,
  unique), and every row rule evaluated on the real table shape (empty tables made from the dbt
  contracts), split into its AND terms: a term with `isin(<another table>)` is `relationships`, one
  with `isin(<values>)` is `accepted_values`, any other is an `expression` on the columns it reads.
  Aggregate rules (`failures=`: distribution, cross-row) make no per-column claim.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import duckdb
import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir
import pytest

from pipelines.defs.dbt_project import ensure_manifest
from quality.pandera_rules import Rule, TableSpec, to_pandera
from quality.pandera_schemas import SPECS

Claim = tuple[str, frozenset[str], str]  # (schema.table, columns, kind)

COLUMN_TESTS = {"not_null", "unique", "relationships", "accepted_values"}
# Generic tests on pandera-checked tables whose rule no pandera spec states (a new one: map it first).
NOT_COMPARED = {
    "exactly_one_current_row",
    "same_keys_as",
    "at_most_one_value",
    "matches_pattern",
    "is_utc_timestamp",
}


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return json.loads(ensure_manifest().read_text())


def _models(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {uid: n for uid, n in manifest["nodes"].items() if n["resource_type"] == "model"}


def and_terms(expression: str) -> list[str]:
    """`a >= 0 and (b is null or b > c)` -> ["a >= 0", "(b is null or b > c)"]: top-level AND only
    (the AND of `x between 1 and 5` belongs to the BETWEEN)."""
    terms: list[str] = []
    current: list[str] = []
    depth, in_between = 0, False
    for token in re.split(r"(\(|\)|\band\b|\bbetween\b)", expression, flags=re.IGNORECASE):
        word = token.lower()
        if word == "and" and depth == 0 and not in_between:
            terms.append("".join(current).strip())
            current = []
            continue
        if depth == 0 and word in ("between", "and"):
            in_between = word == "between"
        depth += token.count("(") - token.count(")")
        current.append(token)
    terms.append("".join(current).strip())
    return [t for t in terms if t]


def _named_columns(expression: str, columns: set[str]) -> frozenset[str]:
    return frozenset(w for w in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", expression) if w in columns)


def dbt_claims(manifest: dict[str, Any]) -> dict[Claim, str]:
    """Every claim a dbt contract or generic data test makes, with the dbt test (or contract) behind it."""
    models = _models(manifest)
    claims: dict[Claim, str] = {}
    for node in models.values():
        table = f"{node['schema']}.{node['name']}"
        if node["contract"]["enforced"]:
            for column, props in node["columns"].items():
                if props.get("data_type"):
                    claims[(table, frozenset([column]), "data_type")] = f"contract of {node['name']}"
    for node in manifest["nodes"].values():
        meta = node.get("test_metadata")
        if node["resource_type"] != "test" or not meta or node.get("attached_node") not in models:
            continue  # singular tests are SQL of their own: nothing to compare
        model = models[node["attached_node"]]
        table = f"{model['schema']}.{model['name']}"
        kind, kwargs, column = meta["name"], meta["kwargs"], node.get("column_name")
        if kind in COLUMN_TESTS and column:
            claims[(table, frozenset([column]), kind)] = node["name"]
        elif kind == "unique_combination_of_columns":
            claims[(table, frozenset(kwargs["combination_of_columns"]), "unique")] = node["name"]
        elif kind == "expression_is_true":
            for term in and_terms(kwargs["expression"]):
                claims[(table, _named_columns(term, set(model["columns"])), "expression")] = node["name"]
        elif kind == "scd2_valid_ranges":
            bounds = frozenset([kwargs.get("valid_from", "valid_from"), kwargs.get("valid_to", "valid_to")])
            claims[(table, bounds, "expression")] = node["name"]
        else:
            assert kind in NOT_COMPARED or table not in SPECS, f"{node['name']}: map test {kind} to a claim"
    return claims


@pytest.fixture(scope="module")
def contract_tables(manifest: dict[str, Any]) -> Iterator[ibis.BaseBackend]:
    """Empty core and marts tables with the columns and types of their dbt contracts."""
    con = duckdb.connect()
    for node in _models(manifest).values():
        if node["schema"] in ("core", "marts") and node["contract"]["enforced"]:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {node['schema']}")
            columns = ", ".join(f'"{c}" {p["data_type"]}' for c, p in node["columns"].items())
            con.execute(f"CREATE TABLE {node['schema']}.{node['name']} ({columns})")
    yield ibis.duckdb.from_connection(con)
    con.close()


def _terms(value: ir.BooleanValue) -> list[ops.Node]:
    op = value.op()
    if isinstance(op, ops.And):
        return [*_terms(op.left.to_expr()), *_terms(op.right.to_expr())]
    return [op]


def rule_claims(table: str, rule: Rule, t: ir.Table) -> list[Claim]:
    if rule.ok is None:
        return []  # an aggregate over rows (distribution): no per-column claim
    claims = []
    for term in _terms(rule.ok(t)):
        columns = frozenset(f.name for f in term.find(ops.Field) if f.rel == t.op())
        if term.find(ops.InSubquery):
            kind = "relationships"
        elif term.find(ops.InValues):
            kind = "accepted_values"
        else:
            kind = "expression"
        claims.append((table, columns, kind))
    return claims


def pandera_claims(spec: TableSpec, backend: ibis.BaseBackend) -> dict[Claim, str]:
    """Every claim the spec's pandera schema and rules make, with the rule (or column check) behind it."""
    claims: dict[Claim, str] = {}
    schema = to_pandera(spec)
    for name, column in schema.columns.items():
        cols = frozenset([name])
        if column.dtype is not None:
            claims[(spec.qualified, cols, "data_type")] = spec.rule_name("dtypes")
        if not column.nullable:
            claims[(spec.qualified, cols, "not_null")] = spec.rule_name(f"not_null_{name}")
        if column.unique:
            claims[(spec.qualified, cols, "unique")] = spec.rule_name(f"unique_{name}")
    if schema.unique:
        claims[(spec.qualified, frozenset(schema.unique), "unique")] = spec.rule_name("unique")
    t = backend.table(spec.table, database=spec.schema)
    for rule in spec.rules:
        claims.update(dict.fromkeys(rule_claims(spec.qualified, rule, t), rule.name))
    return claims


def test_no_pandera_rule_repeats_a_dbt_check(
    manifest: dict[str, Any], contract_tables: ibis.BaseBackend
) -> None:
    dbt = dbt_claims(manifest)
    repeated = sorted(
        f"{rule} repeats {dbt[claim]} ({claim[0]} {sorted(claim[1])} {claim[2]})"
        for spec in SPECS.values()
        for claim, rule in pandera_claims(spec, contract_tables).items()
        if claim in dbt
    )
    assert repeated == [], "\n".join(repeated)


def test_claims_are_read_from_both_sides(manifest: dict[str, Any], contract_tables: ibis.BaseBackend) -> None:
    """The comparison is not vacuous: it sees dbt's tests and pandera's rules, and would catch a repeat."""
    dbt = dbt_claims(manifest)
    for claim in [
        ("core.fct_order_lines", frozenset(["order_line_key"]), "data_type"),
        ("core.fct_order_lines", frozenset(["order_line_key"]), "unique"),
        ("core.fct_order_lines", frozenset(["customer_sk"]), "relationships"),
        ("core.fct_returns", frozenset(["return_reason"]), "accepted_values"),
        ("core.fct_returns", frozenset(["transaction_id", "line_number"]), "unique"),
        ("core.fct_web_sessions", frozenset(["session_ended_at", "session_started_at"]), "expression"),
        ("core.dim_customer", frozenset(["valid_from", "valid_to"]), "expression"),
    ]:
        assert claim in dbt, claim
    pandera = {c for spec in SPECS.values() for c in pandera_claims(spec, contract_tables)}
    shipped = ("core.fct_order_lines", frozenset(["quantity_ordered", "quantity_shipped"]), "expression")
    assert shipped in pandera

    returns = contract_tables.table("fct_returns", database="core")
    products = contract_tables.table("dim_product", database="core")
    copies = [
        Rule("x", ok=lambda t: t.return_reason.isin(("returns", "recall"))),
        Rule("x", ok=lambda t: t.product_key.isin(products.product_key)),
        Rule("x", ok=lambda t: (t.refund_amount >= 0) & t.transaction_id.notnull()),
    ]
    found = {c for rule in copies for c in rule_claims("core.fct_returns", rule, returns)}
    assert found >= {
        ("core.fct_returns", frozenset(["return_reason"]), "accepted_values"),
        ("core.fct_returns", frozenset(["product_key"]), "relationships"),
        ("core.fct_returns", frozenset(["refund_amount"]), "expression"),
    }
    assert found & set(dbt) == {
        ("core.fct_returns", frozenset(["return_reason"]), "accepted_values"),
        ("core.fct_returns", frozenset(["product_key"]), "relationships"),
    }


def test_and_terms_split_only_at_the_top_level() -> None:
    assert and_terms("quantity >= 0 and (shipped_at is null or shipped_at >= transaction_at)") == [
        "quantity >= 0",
        "(shipped_at is null or shipped_at >= transaction_at)",
    ]
    assert and_terms("csat between 1 and 5 and nps >= 0") == ["csat between 1 and 5", "nps >= 0"]
