"""explain_pair: why two source records share (or do not share) a customer key."""

from __future__ import annotations

import json
from collections import deque
from typing import Any

import duckdb

from pipelines.identity.nicknames import canonical_first_name
from pipelines.identity.rules import IDENTIFIER_COLUMNS, create_macros
from pipelines.identity.stage import INPUT_TABLE

RecordRef = tuple[str, str]  # (source_system, source_record_id)
_EDGE_COLS = (
    "e.source_system_a, e.source_record_id_a, e.source_system_b, e.source_record_id_b, e.rule, "
    "e.match_weight, e.match_probability, e.status, e.details"
)


def _edge(row: tuple) -> dict[str, Any]:
    sa, ra, sb, rb, rule, mw, mp, status, details = row
    return {
        "a": (sa, ra),
        "b": (sb, rb),
        "rule": rule,
        "match_weight": mw,
        "match_probability": mp,
        "status": status,
        "comparisons": json.loads(details) if details else None,
    }


def _record(cur: duckdb.DuckDBPyConnection, ref: RecordRef) -> dict[str, Any] | None:
    rel = cur.execute(
        f"SELECT * FROM {INPUT_TABLE} WHERE source_system = ? AND source_record_id = ?", list(ref)
    )
    row = rel.fetchone()
    return dict(zip([d[0] for d in rel.description], row, strict=True)) if row else None


def rules_between(cur: duckdb.DuckDBPyConnection, a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """The deterministic rules that hold between two records' current values, strongest first."""
    fired = [rule for rule, col in IDENTIFIER_COLUMNS.items() if a.get(col) and a.get(col) == b.get(col)]
    if a.get("phone") and a.get("phone") == b.get("phone"):
        fa, fb, la, lb = (
            str(v).strip().lower() if v else None
            for v in (a.get("first_name"), b.get("first_name"), a.get("last_name"), b.get("last_name"))
        )
        (same,) = cur.execute(
            "SELECT coalesce(id_name_same(?, ?, ?, ?, ?, ?) AND id_dob_ok(?::DATE, ?::DATE), false)",
            [
                fa,
                fb,
                canonical_first_name(fa),
                canonical_first_name(fb),
                la,
                lb,
                a.get("date_of_birth"),
                b.get("date_of_birth"),
            ],
        ).fetchone()
        if same:
            fired.append("phone_name")
    return fired


def _path(cur: duckdb.DuckDBPyConnection, key: str, src: RecordRef, dst: RecordRef) -> list[dict[str, Any]]:
    """Breadth-first path of kept edges inside one customer: the chain of evidence from src to dst."""
    rows = cur.execute(
        f"""
        SELECT {_EDGE_COLS} FROM core.identity_edges e JOIN core.customer_identity_map m
            ON m.source_system = e.source_system_a AND m.source_record_id = e.source_record_id_a
        WHERE m.customer_key = ? AND e.status = 'kept'
    """,
        [key],
    ).fetchall()
    adj: dict[RecordRef, list[dict[str, Any]]] = {}
    for row in rows:
        e = _edge(row)
        adj.setdefault(e["a"], []).append(e)
        adj.setdefault(e["b"], []).append(e)
    prev: dict[RecordRef, dict[str, Any] | None] = {src: None}
    queue = deque([src])
    while queue and dst not in prev:
        node = queue.popleft()
        for e in adj.get(node, []):
            nxt = e["b"] if e["a"] == node else e["a"]
            if nxt not in prev:
                prev[nxt] = e
                queue.append(nxt)
    path, node = [], dst
    while prev.get(node) is not None:
        e = prev[node]
        path.append(e)
        node = e["a"] if e["b"] == node else e["b"]
    return path[::-1] if dst in prev else []


def _direct_edge(cur: duckdb.DuckDBPyConnection, a: RecordRef, b: RecordRef) -> dict[str, Any] | None:
    row = cur.execute(
        f"""
        SELECT {_EDGE_COLS} FROM core.identity_edges e
        WHERE (source_system_a, source_record_id_a, source_system_b, source_record_id_b)
              IN ((?, ?, ?, ?), (?, ?, ?, ?))
    """,
        [*a, *b, *b, *a],
    ).fetchone()
    return _edge(row) if row else None


def explain_pair(con: duckdb.DuckDBPyConnection, rec_a: RecordRef, rec_b: RecordRef) -> dict[str, Any]:
    """Explain the link between two records: {linked, method, rule | match_weight+comparisons, path, ...}.

    method 'rule': a deterministic rule holds between the two records (or links them through a chain of
    rule edges, listed in path); 'splink': the link runs through a Splink edge, whose match weight,
    probability and per-comparison partial weights / Bayes factors are reported (the weakest Splink
    edge on the path); None: not linked, with the direct edge (and its status, e.g. household_gate,
    below_threshold, cut_conflict) when one was scored.
    """
    cur = con.cursor()
    create_macros(cur)
    keys = dict(
        ((s, r), k)
        for s, r, k in cur.execute(
            "SELECT source_system, source_record_id, customer_key FROM core.customer_identity_map "
            "WHERE (source_system, source_record_id) IN ((?, ?), (?, ?))",
            [*rec_a, *rec_b],
        ).fetchall()
    )
    ka, kb = keys.get(tuple(rec_a)), keys.get(tuple(rec_b))
    va, vb = _record(cur, rec_a), _record(cur, rec_b)
    rules = rules_between(cur, va, vb) if va and vb else []
    linked = ka is not None and ka == kb
    path = _path(cur, ka, tuple(rec_a), tuple(rec_b)) if linked else []
    splink_edges = [e for e in path if e["rule"] == "splink"]
    direct = _direct_edge(cur, tuple(rec_a), tuple(rec_b))
    out: dict[str, Any] = {
        "record_a": tuple(rec_a),
        "record_b": tuple(rec_b),
        "customer_key_a": ka,
        "customer_key_b": kb,
        "linked": linked,
        "method": None,
        "rule": None,
        "rules_holding": rules,
        "match_weight": None,
        "match_probability": None,
        "comparisons": None,
        "prior_match_weight": None,
        "direct_edge": direct,
        "path": path,
    }
    if linked and (rules or not splink_edges):
        out["method"] = "rule"
        out["rule"] = "+".join(rules) or "+".join(dict.fromkeys(e["rule"] for e in path))
        out["match_probability"] = 1.0
    elif linked or direct is not None:
        weakest = min(splink_edges, key=lambda e: e["match_probability"]) if linked else direct
        out["method"] = "splink" if linked else None
        out.update(
            match_weight=weakest["match_weight"],
            match_probability=weakest["match_probability"],
            comparisons=weakest["comparisons"],
        )
        if weakest["comparisons"] and weakest["match_weight"] is not None:
            # match weight = prior weight + sum of partial weights; the prior is the remainder
            parts = sum(c["match_weight"] for c in weakest["comparisons"].values())
            out["prior_match_weight"] = round(weakest["match_weight"] - parts, 4)
    cur.close()
    return out
