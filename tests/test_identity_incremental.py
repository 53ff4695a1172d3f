"""Incremental identity runs resolve like a full resolution of the same records.

A synthetic population arrives in increments: most records, more records, a record that bridges
two customers (merge), the same record corrected (split), a batch with nothing new. After each,
the partition of records into customers equals that of a full resolution of the same records with
the same stored model (on a copy of the warehouse, and one-shot in a fresh one), and customers the
increment did not touch keep their keys and key_since.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from pipelines.identity import IdentitySettings, resolve_identities
from tests.identity_fixtures import bridge_persons, bridge_record, make_population
from tests.identity_warehouse import write_records

Partition = list[tuple[str, ...]]
MapRows = dict[tuple[str, str], tuple]


def _resolve(db: Path, **settings: object) -> dict:
    con = duckdb.connect(str(db))
    try:
        return resolve_identities(con, IdentitySettings(**settings))
    finally:
        con.close()


def _map(db: Path) -> MapRows:
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "SELECT source_system, source_record_id, customer_key, key_since, matched_by "
            "FROM core.customer_identity_map"
        ).fetchall()
    return {(r[0], r[1]): r[2:] for r in rows}


def _partition(rows: MapRows) -> Partition:
    groups: dict[str, list[str]] = {}
    for (system, record), (key, *_) in rows.items():
        groups.setdefault(key, []).append(f"{system}:{record}")
    return sorted(tuple(sorted(g)) for g in groups.values())


def _one_shot_full(db: Path, tmp: Path, records: list[dict[str, object]]) -> Partition:
    """The same records resolved in a fresh warehouse that holds only the stored model."""
    fresh = tmp / "one_shot.duckdb"
    fresh.unlink(missing_ok=True)
    write_records(fresh, records)
    with duckdb.connect(str(fresh)) as con:
        con.execute(f"ATTACH '{db}' AS inc (READ_ONLY)")
        con.execute("CREATE SCHEMA IF NOT EXISTS core")
        con.execute("CREATE TABLE core.identity_model AS FROM inc.core.identity_model")
        con.execute("DETACH inc")
    summary = _resolve(fresh, incremental=False)
    assert summary["splink"] == "stored model", summary
    return _partition(_map(fresh))


@dataclass
class Step:
    name: str
    records: list[dict[str, object]]
    summary: dict
    before: MapRows
    after: MapRows


@pytest.fixture(scope="module")
def steps(tmp_path_factory: pytest.TempPathFactory) -> list[Step]:
    tmp = tmp_path_factory.mktemp("incremental")
    persons, records = make_population(500, seed=7)
    by_time = sorted(records, key=lambda r: (r["observed_at"], r["source_record_id"]))
    n = len(by_time)
    a, b = bridge_persons(persons)
    bridge = bridge_record(a, b, 1)
    corrected = {**bridge, "loyalty_card": None}  # the feed re-sends it without b's card
    batches = [
        ("first", by_time[: int(n * 0.85)]),
        ("more", by_time),
        ("bridge", [*by_time, bridge]),
        ("corrected", [*by_time, corrected]),
        ("nothing new", [*by_time, corrected]),
    ]
    db = tmp / "warehouse.duckdb"
    out: list[Step] = []
    before: MapRows = {}
    for name, batch in batches:
        write_records(db, batch)
        summary = _resolve(db)
        after = _map(db)
        out.append(Step(name, batch, summary, before, after))
        # the reference: a full resolution of the same records and model, on a copy
        copy = tmp / f"full-{len(out)}.duckdb"
        shutil.copy(db, copy)
        full = _resolve(copy, incremental=False)
        assert full["path"] == "full"
        assert _partition(_map(copy)) == _partition(after), name
        assert _one_shot_full(db, tmp, batch) == _partition(after), name
        before = after
    return out


def test_runs_after_the_first_are_incremental(steps: list[Step]) -> None:
    assert steps[0].summary["path"] == "full" and steps[0].summary["path_reason"] == "no previous run"
    for step in steps[1:]:
        assert step.summary["path"] == "incremental", (step.name, step.summary["path_reason"])
    assert steps[-1].summary.get("nothing_new") is True
    assert 0 < steps[1].summary["scope_records"] < len(steps[1].records)


def _key_of(rows: MapRows, record: dict[str, object]) -> str:
    return rows[(str(record["source_system"]), str(record["source_record_id"]))][0]


def test_a_bridging_record_merges_and_its_correction_splits(steps: list[Step]) -> None:
    bridge, corrected = steps[2], steps[3]
    record = bridge.records[-1]
    others = bridge.records[:-1]
    card_holder = next(r for r in others if r["loyalty_card"] == record["loyalty_card"])
    mail_holder = next(r for r in others if r["email_canonical"] == record["email_canonical"])
    assert _key_of(bridge.before, card_holder) != _key_of(bridge.before, mail_holder)
    assert _key_of(bridge.after, card_holder) == _key_of(bridge.after, mail_holder)
    # a merge, or a reassign where the guard keeps part of the old customer apart (as a full run does)
    assert bridge.summary["changes"].get("merge", 0) + bridge.summary["changes"].get("reassign", 0) >= 1
    assert _key_of(corrected.after, card_holder) != _key_of(corrected.after, mail_holder)
    assert corrected.summary["changes"].get("split", 0) + corrected.summary["changes"].get("reassign", 0) >= 1


def test_untouched_customers_keep_their_rows(steps: list[Step]) -> None:
    """A customer whose records are the same before and after keeps its key and key_since."""
    for step in steps[1:]:
        before, after = _partition(step.before), set(_partition(step.after))
        same = [group for group in before if group in after]
        # 15% more records reach many of 500 people; one bridging record only the two it joins
        assert len(same) > (0.5 * len(before) if step.name == "more" else len(before) - 3), step.name
        for group in same:
            for member in group:
                system, record = member.split(":", 1)
                assert step.after[(system, record)] == step.before[(system, record)], (step.name, member)


def test_nothing_new_changes_nothing(steps: list[Step]) -> None:
    assert steps[-1].after == steps[-1].before
    assert steps[-1].summary["new_keys"] == 0 and steps[-1].summary["changes"] == {}


def test_large_changes_fall_back_to_a_full_run(tmp_path: Path) -> None:
    _, records = make_population(400, seed=3)
    db = tmp_path / "w.duckdb"
    write_records(db, records[: len(records) * 6 // 10])  # +67%: not yet a retraining
    _resolve(db)
    write_records(db, records)
    summary = _resolve(db, incremental_max_changed_share=0.2)
    assert summary["path"] == "full" and "new, changed or gone" in summary["path_reason"]
    summary = _resolve(db, match_threshold=0.9)
    assert summary["path"] == "full" and summary["path_reason"] == "identity settings changed"


def test_rules_only_runs_are_incremental_too(tmp_path: Path) -> None:
    """Below min_records_to_train a full run links by the rules alone; so does the incremental one."""
    _, records = make_population(100, seed=5)
    assert len(records) < IdentitySettings().min_records_to_train
    by_time = sorted(records, key=lambda r: (r["observed_at"], r["source_record_id"]))
    db = tmp_path / "w.duckdb"
    for share in (0.85, 0.95, 1.0):
        write_records(db, by_time[: int(len(by_time) * share)])
        summary = _resolve(db)
        copy = tmp_path / "full.duckdb"
        shutil.copy(db, copy)
        _resolve(copy, incremental=False)
        assert _partition(_map(copy)) == _partition(_map(db))
        copy.unlink()
    assert summary["path"] == "incremental" and summary["splink"] == "skipped: too few records to train"
