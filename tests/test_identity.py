"""Identity resolution on a synthetic population: accuracy, households, stable keys, explanations."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from pipelines.identity import evaluate, explain_pair
from tests.identity_fixtures import (
    Person,
    bridge_persons,
    bridge_record,
    conflict_persons,
    conflict_record,
    make_population,
)
from tests.identity_warehouse import resolve_file, write_records, write_truth

Keys = dict[tuple[str, str], str]


@dataclass
class Runs:
    db: Path
    truth1: Path
    persons: list[Person]
    records1: list[dict[str, object]]
    keys1: Keys
    keys2: Keys
    summary1: dict
    summary2: dict
    bridge: dict[str, object]
    conflict: dict[str, object]
    since1: dict[tuple[str, str], object]
    since2: dict[tuple[str, str], object]


def _map_column(db: Path, column: str) -> dict[tuple[str, str], object]:
    """(source_system, source_record_id) -> `column` of core.customer_identity_map."""
    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            f"SELECT source_system, source_record_id, {column} FROM core.customer_identity_map"
        ).fetchall()
    finally:
        con.close()
    return {(s, r): v for s, r, v in rows}


def _keys(db: Path) -> Keys:
    return {rec: str(key) for rec, key in _map_column(db, "customer_key").items()}


def _key_since(db: Path) -> dict[tuple[str, str], object]:
    return _map_column(db, "key_since")


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    """Run 1 on 85% of the records; run 2 on all of them plus a bridging and a conflicting record."""
    tmp = tmp_path_factory.mktemp("identity")
    persons, records = make_population(500, seed=7)
    rng = random.Random(11)
    first = [r for r in records if rng.random() < 0.85]
    db, truth1 = tmp / "warehouse.duckdb", tmp / "records.csv"
    write_records(db, first, truth1)
    summary1 = resolve_file(db, "run-1")
    keys1, since1 = _keys(db), _key_since(db)
    a, b = bridge_persons(persons)
    c, d = conflict_persons(persons)
    bridge, conflict = bridge_record(a, b, 1), conflict_record(c, d, 2)
    write_records(db, [*records, bridge, conflict])
    write_truth(tmp / "records2.csv", [*records, bridge, conflict])
    summary2 = resolve_file(db, "run-2")
    return Runs(
        db,
        truth1,
        persons,
        first,
        keys1,
        _keys(db),
        summary1,
        summary2,
        bridge,
        conflict,
        since1,
        _key_since(db),
    )


def _person_keys(runs: Runs, keys: Keys, person: Person) -> set[str]:
    return {
        keys[(r["source_system"], r["source_record_id"])]
        for r in runs.records1
        if r["person_id"] == person.person_id and (r["source_system"], r["source_record_id"]) in keys
    }


def _keys_where(runs: Runs, keys: Keys, column: str, value: object) -> set[str]:
    return {keys[(r["source_system"], r["source_record_id"])] for r in runs.records1 if r[column] == value}


def test_accuracy_on_synthetic_population(runs: Runs) -> None:
    report = evaluate(runs.db, runs.truth1)
    assert report["records_missing_from_map"] == 0
    assert report["precision"] >= 0.99, report
    assert report["f1"] >= 0.98, report
    pairs = {(p["feed_a"], p["feed_b"]) for p in report["by_feed_pair"]}
    assert ("pos", "web") in pairs and len(pairs) == 15


def test_one_row_per_record_with_known_matched_by(runs: Runs) -> None:
    assert len(runs.keys1) == len(runs.records1) == runs.summary1["records"]
    con = duckdb.connect(str(runs.db), read_only=True)
    methods = {
        m for (m,) in con.execute("SELECT DISTINCT matched_by FROM core.customer_identity_map").fetchall()
    }
    con.close()
    assert methods <= {"account_id", "loyalty_card", "email", "phone_name", "splink", "singleton"}
    assert {"email", "splink", "singleton"} <= methods


def test_household_members_are_not_merged(runs: Runs) -> None:
    households: dict[int, list[Person]] = {}
    for p in runs.persons:
        if p.household is not None:
            households.setdefault(p.household, []).append(p)
    assert len(households) > 50
    for members in households.values():
        seen: dict[str, str] = {}
        for p in members:
            for key in _person_keys(runs, runs.keys1, p):
                assert seen.setdefault(key, p.person_id) == p.person_id, f"household {members[0].household}"


def test_keys_are_stable_and_changes_are_audited(runs: Runs) -> None:
    kept = [k for k in runs.keys1 if runs.keys2[k] == runs.keys1[k]]
    assert len(kept) / len(runs.keys1) >= 0.97
    con = duckdb.connect(str(runs.db), read_only=True)
    changes = con.execute(
        "SELECT change_type, customer_key, other_key FROM audit.identity_changes WHERE run_id = 'run-2'"
    ).fetchall()
    keys_status = dict(con.execute("SELECT customer_key, status FROM core.identity_keys").fetchall())
    con.close()
    touched = {k for _, a, b in changes for k in (a, b)}
    for rec, old in runs.keys1.items():  # never silently renumbered: every moved record is explained
        if runs.keys2[rec] != old:
            assert old in touched and runs.keys2[rec] in touched, rec
    # The bridge carries a's e-mail and b's loyalty card: the two keys those identifiers had must merge.
    a, b = bridge_persons(runs.persons)
    ka = _keys_where(runs, runs.keys1, "email_canonical", a.emails[0])
    kb = _keys_where(runs, runs.keys1, "loyalty_card", b.loyalty_card)
    assert len(ka) == len(kb) == 1 and ka != kb
    merged = _keys_where(runs, runs.keys2, "email_canonical", a.emails[0]) | _keys_where(
        runs, runs.keys2, "loyalty_card", b.loyalty_card
    )
    assert len(merged) == 1
    survivor = next(iter(merged))
    retired = next(iter((ka | kb) - {survivor}))
    assert ("merge", survivor, retired) in changes
    assert keys_status[retired] == "retired" and keys_status[survivor] == "active"


def test_key_since_moves_only_with_the_key(runs: Runs) -> None:
    """Incremental facts re-key the rows of records whose key_since is newer than their last build:
    it must stay put while a record keeps its key and move when the record is new or changes key."""
    first_run = max(runs.since1.values())
    assert all(t is not None for t in runs.since2.values())
    moved = [r for r in runs.keys2 if r not in runs.keys1 or runs.keys1[r] != runs.keys2[r]]
    kept = [r for r in runs.keys1 if runs.keys2[r] == runs.keys1[r]]
    assert moved and kept
    assert all(runs.since2[r] > first_run for r in moved)
    assert all(runs.since2[r] == runs.since1[r] for r in kept)


def test_guard_stops_a_record_that_bridges_two_accounts(runs: Runs) -> None:
    c, d = conflict_persons(runs.persons)
    assert _person_keys(runs, runs.keys2, c).isdisjoint(_person_keys(runs, runs.keys2, d))
    con = duckdb.connect(str(runs.db), read_only=True)
    cut = con.execute(
        "SELECT count(*) FROM core.identity_edges WHERE status = 'cut_conflict' AND ? IN "
        "(source_record_id_a, source_record_id_b)",
        [runs.conflict["source_record_id"]],
    ).fetchone()[0]
    con.close()
    assert cut >= 1
    assert runs.summary2["edges_cut_by_guard"] >= 1


def test_explain_rule_and_splink_links(runs: Runs) -> None:
    con = duckdb.connect(str(runs.db), read_only=True)
    edge = (
        "SELECT source_system_a, source_record_id_a, source_system_b, source_record_id_b FROM "
        "core.identity_edges WHERE status = 'kept' AND rule = ? ORDER BY ALL LIMIT 1"
    )
    rule_pair = con.execute(edge, ["email"]).fetchone()
    splink_pair = con.execute(edge, ["splink"]).fetchone()
    by_rule = explain_pair(con, rule_pair[:2], rule_pair[2:])
    by_splink = explain_pair(con, splink_pair[:2], splink_pair[2:])
    con.close()
    assert by_rule["linked"] and by_rule["method"] == "rule" and "email" in by_rule["rule"]
    assert by_splink["linked"] and by_splink["method"] == "splink"
    assert by_splink["match_probability"] >= 0.95
    comps = by_splink["comparisons"]
    assert set(comps) == {"first_name", "last_name", "date_of_birth", "address", "email", "phone"}
    assert all({"level", "match_weight", "bayes_factor"} <= set(v) for v in comps.values())
    total = by_splink["prior_match_weight"] + sum(v["match_weight"] for v in comps.values())
    assert total == pytest.approx(by_splink["match_weight"], abs=1e-3)


def test_explain_unlinked_household_pair(runs: Runs) -> None:
    con = duckdb.connect(str(runs.db), read_only=True)
    row = con.execute(
        "SELECT source_system_a, source_record_id_a, source_system_b, source_record_id_b FROM "
        "core.identity_edges WHERE status = 'household_gate' ORDER BY ALL LIMIT 1"
    ).fetchone()
    assert row is not None, "the fixture's households should trip the gate at least once"
    result = explain_pair(con, row[:2], row[2:])
    con.close()
    assert not result["linked"] and result["method"] is None
    assert result["direct_edge"]["status"] == "household_gate" and result["comparisons"] is not None


def test_explain_follows_the_evidence_path(runs: Runs) -> None:
    con = duckdb.connect(str(runs.db), read_only=True)
    biggest = (
        "SELECT customer_key FROM core.customer_identity_map GROUP BY ALL ORDER BY count(*) DESC, 1 LIMIT 1"
    )
    recs = con.execute(
        "SELECT source_system, source_record_id FROM core.customer_identity_map "
        f"WHERE customer_key = ({biggest}) ORDER BY ALL"
    ).fetchall()
    result = explain_pair(con, recs[0], recs[-1])
    con.close()
    assert len(recs) >= 3 and result["linked"] and result["method"] in {"rule", "splink"}
    path = result["path"]
    assert path and recs[0] in (path[0]["a"], path[0]["b"]) and recs[-1] in (path[-1]["a"], path[-1]["b"])
