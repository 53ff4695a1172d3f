"""Several loads in one Great Expectations validation: each load keeps its own outcome and examples."""

from __future__ import annotations

from pathlib import Path

import duckdb

from quality.gx_batches import validate_new_batches
from quality.gx_groups import PendingLoad, capped, plan_groups
from tests.ingest_helpers import load, write

CALLS_HEADER = "interaction_id,channel,direction,queue,started_at,ended_at,abandoned,csat,nps"
CSAT = "gx:expect_column_values_to_be_between:csat"
UNIQUE = "gx:expect_column_values_to_be_unique:interaction_id"


def _calls(*rows: tuple[str, str]) -> str:
    """A call-centre file: (interaction id, csat) per line; its first data line is line 2."""
    lines = [
        f"{iid},phone,inbound,service,2025-01-02T10:00:00+00:00,2025-01-02T10:05:00+00:00,false,{csat},9"
        for iid, csat in rows
    ]
    return "\n".join([CALLS_HEADER, *lines]) + "\n"


def _land(con: duckdb.DuckDBPyConnection, landing: Path) -> None:
    write(landing / "callcenter" / "a.csv", _calls(("I-1", "4"), ("I-2", "5")))
    write(
        landing / "callcenter" / "b.csv", _calls(("I-3", "4"), ("I-4", "9"), ("I-5", "3"))
    )  # csat 9, line 3
    write(landing / "callcenter" / "c.csv", _calls(("I-6", "4"), ("I-6", "4")))  # repeated within the file
    write(landing / "callcenter" / "d.csv", _calls(("I-1", "5")))  # a.csv's record re-sent: no repeat
    load(con, "callcenter", landing)


def _outcomes(con: duckdb.DuckDBPyConnection, check: str) -> dict[str, tuple[bool, int]]:
    rows = con.execute(
        "SELECT json_extract_string(sample, '$.source_file'), passed, failing_rows FROM audit.check_results "
        "WHERE check_name = ?",
        [check],
    ).fetchall()
    return {f: (p, n) for f, p, n in rows}


def test_a_bad_row_in_one_of_several_loads_is_attributed_to_its_file_and_line(
    con: duckdb.DuckDBPyConnection, landing: Path, tmp_path: Path
) -> None:
    _land(con, landing)
    run = validate_new_batches(con, tmp_path / "reports", run_id="gx-1", feeds=["callcenter"])

    assert len(run.validation_seconds) == 1  # four files, one GX validation
    assert [b.source_file for b in run.batches] == [f"callcenter/{n}.csv" for n in "abcd"]
    assert len({b.docs_page for b in run.batches}) == 1 and run.batches[0].docs_page
    assert all(b.loads_in_validation == 4 for b in run.batches)

    [csat] = [r for r in run.failed if r.check_name == CSAT]
    assert (csat.severity, csat.failing_rows) == ("error", 1)
    assert csat.sample["rows"] == [{"_source_line": 3, "csat": 9}]
    assert csat.sample["source_file"] == "callcenter/b.csv"
    assert csat.sample["load_id"] == next(b.load_id for b in run.batches if b.source_file.endswith("b.csv"))
    assert _outcomes(con, CSAT) == {
        "callcenter/a.csv": (True, 0),
        "callcenter/b.csv": (False, 1),
        "callcenter/c.csv": (True, 0),
        "callcenter/d.csv": (True, 0),
    }
    # unique per file: c.csv repeats I-6 (both lines listed); d.csv re-sending a.csv's I-1 is fine
    [unique] = [r for r in run.failed if r.check_name == UNIQUE]
    assert (unique.severity, unique.failing_rows, unique.sample["source_file"]) == (
        "warn",
        2,
        "callcenter/c.csv",
    )
    assert sorted(r["_source_line"] for r in unique.sample["rows"]) == [2, 3]
    assert _outcomes(con, UNIQUE)["callcenter/d.csv"] == (True, 0)

    # A load's success: every expectation passed, warnings included (as GX's own suite verdict).
    validated = con.execute("SELECT source_file, success FROM audit.gx_validated ORDER BY 1").fetchall()
    assert validated == [
        ("callcenter/a.csv", True),
        ("callcenter/b.csv", False),
        ("callcenter/c.csv", False),
        ("callcenter/d.csv", True),
    ]
    # one check_results row per expectation per load, as when each load was validated alone
    per_load = con.execute(
        "SELECT count(DISTINCT check_name), count(*) FROM audit.check_results WHERE run_id = 'gx-1'"
    ).fetchone()
    assert per_load[1] == 4 * per_load[0]


def test_the_cap_counts_gx_validations_and_the_rest_follow(
    con: duckdb.DuckDBPyConnection, landing: Path, tmp_path: Path
) -> None:
    _land(con, landing)
    # a budget of 2 rows: a.csv, then b.csv sampled alone, c.csv, d.csv: four validations
    first = validate_new_batches(con, tmp_path / "r", "gx-1", ["callcenter"], sample_rows=2, max_batches=2)
    assert (len(first.validation_seconds), len(first.batches), first.pending) == (2, 2, 2)
    assert [b.source_file for b in first.batches] == ["callcenter/a.csv", "callcenter/b.csv"]
    assert first.batches[1].rows_validated == 2 < first.batches[1].rows_in_batch == 3
    second = validate_new_batches(con, tmp_path / "r", "gx-2", ["callcenter"], sample_rows=2, max_batches=2)
    assert [b.source_file for b in second.batches] == ["callcenter/c.csv", "callcenter/d.csv"]
    assert second.pending == 0
    assert validate_new_batches(con, tmp_path / "r", "gx-3", ["callcenter"]).batches == []


def test_plan_groups_fills_a_row_budget_in_load_order() -> None:
    loads = [
        PendingLoad("l1", "f1", 30),
        PendingLoad("l2", "f2", 0),  # empty: nothing to validate
        PendingLoad("l3", "f3", 60),
        PendingLoad("l4", "f4", 250),  # above the budget: sampled, alone
        PendingLoad("l5", "f5", 40),
        PendingLoad("l6", "f6", 50),
    ]
    groups = plan_groups(loads, sample_rows=100)
    assert [[g.load_id for g in group] for group in groups] == [["l1", "l3"], ["l4"], ["l5", "l6"]]
    assert capped(groups, 2) == (groups[:2], 2)
    assert capped(groups, None) == (groups, 0)
