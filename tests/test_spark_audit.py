"""Spark's audit.check_results: each gate step records its pandera results and the phase's dbt tests.

A small catalog (core.fct_returns with one wrong row; the other core tables missing) is checked by the
gate step as the Spark build runs it; the recorded rows are then read from the table's Parquet files.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from pipelines.spark.audit import COLUMNS
from tests.spark_helpers import run_step, spark_sql, tables_in_spark

pytestmark = [pytest.mark.spark, pytest.mark.integration, pytest.mark.timeout(900)]

RETURNS = """
    create table core.fct_returns as
    select * from (values (1, 2, 10.0), (2, -1, 5.0), (3, 1, 0.0)) t(return_line_key, quantity_returned,
    refund_amount)
"""
DBT_RESULTS = {
    "metadata": {"invocation_id": "inv-1"},
    "results": [
        {"unique_id": "model.crm360.fct_returns", "status": "success"},
        {
            "unique_id": "test.crm360.not_null_fct_returns_return_line_key.ab12",
            "status": "pass",
            "failures": 0,
        },
        {"unique_id": "test.crm360.unique_fct_returns_return_line_key.cd34", "status": "fail", "failures": 2},
    ],
}


_RECORD_NONE = """
import sys
from pathlib import Path
from pipelines.spark.audit import record_checks
from pipelines.spark.session import local_session
record_checks(local_session(Path(sys.argv[1])), [], sys.argv[2], sys.argv[3])
"""


def _gate(folder: Path, stage: str, run_id: str, target: Path | None = None) -> list[dict]:
    args = ["--spark-dir", str(folder), "--stage", stage, "--run-id", run_id]
    done = run_step("pipelines.spark.gates", *args, *(["--dbt-target", str(target)] if target else []))
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def _recorded(folder: Path) -> list[dict]:
    files = folder / "warehouse" / "audit.db" / "check_results" / "*" / "*" / "*.parquet"
    with duckdb.connect() as con:
        cursor = con.execute(f"select * from read_parquet('{files}', hive_partitioning = true) order by all")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_each_stage_of_each_run_is_recorded_once(tmp_path: Path) -> None:
    folder = tables_in_spark(tmp_path, [RETURNS], ["core.fct_returns"])["folder"]
    target = tmp_path / "dbt-target"
    target.mkdir()
    (target / "run_results.json").write_text(json.dumps(DBT_RESULTS))

    core = _gate(folder, "core", "run-1", target)
    recorded = _recorded(folder)
    assert set(recorded[0]) == {name for name, _ in COLUMNS}
    pandera = {r["check_name"]: r["failing_rows"] for r in core}
    assert {r["check_name"]: r["failing_rows"] for r in recorded} == {
        **pandera, "dbt:not_null_fct_returns_return_line_key": 0, "dbt:unique_fct_returns_return_line_key": 2,
    }  # fmt: skip
    assert pandera["pandera:fct_returns:quantity_positive"] == 1
    assert pandera["pandera:fct_order_lines:exists"] is None  # a missing table is a failed check
    failed = {r["check_name"] for r in recorded if not r["passed"]}
    assert {"pandera:fct_returns:quantity_positive", "dbt:unique_fct_returns_return_line_key"} <= failed
    assert {(r["run_id"], r["stage"]) for r in recorded} == {("run-1", "core")}
    assert all(r["checked_at"] is not None and r["severity"] in ("error", "warn") for r in recorded)

    # the stage run again in the same run replaces its rows (here without dbt's results)
    _gate(folder, "core", "run-1")
    assert sorted(r["check_name"] for r in _recorded(folder)) == sorted(pandera)
    # another stage and another run are added beside it
    marts = _gate(folder, "marts", "run-1")
    _gate(folder, "core", "run-2")
    counts: dict[tuple[str, str], int] = {}
    for r in _recorded(folder):
        counts[(r["run_id"], r["stage"])] = counts.get((r["run_id"], r["stage"]), 0) + 1
    assert counts == {
        ("run-1", "core"): len(core),
        ("run-1", "marts"): len(marts),
        ("run-2", "core"): len(core),
    }


def test_checks_recorded_before_the_catalog_lost_the_table_are_kept(tmp_path: Path) -> None:
    """A catalog without audit.check_results over a folder that holds it (a metastore rebuilt, or a first
    creation killed after its folder was made): the next gate step records its checks and loses none."""
    folder = tables_in_spark(tmp_path, [RETURNS], ["core.fct_returns"])["folder"]
    core = _gate(folder, "core", "run-1")
    table = folder / "warehouse" / "audit.db" / "check_results"
    shutil.move(table, tmp_path / "aside")
    spark_sql(folder, "drop table audit.check_results")
    shutil.move(tmp_path / "aside", table)
    (table / "part-00000-killed.snappy.parquet").write_bytes(b"PAR1 half written")

    _gate(folder, "core", "run-2")
    counts: dict[str, int] = {}
    for r in _recorded(folder):
        counts[r["run_id"]] = counts.get(r["run_id"], 0) + 1
    assert counts == {"run-1": len(core), "run-2": len(core)}
    # and Spark reads both runs from its catalog
    read = spark_sql(folder, "select run_id, count(*) as n from audit.check_results group by run_id")
    assert {row["run_id"]: row["n"] for row in read} == counts

    # a stage recorded again with no results keeps no rows, in the catalog or in the folder
    subprocess.run([sys.executable, "-c", _RECORD_NONE, str(folder), "run-1", "core"], check=True)
    assert {r["run_id"] for r in _recorded(folder)} == {"run-2"}
    assert spark_sql(
        folder, "msck repair table audit.check_results", "show partitions audit.check_results"
    ) == [{"partition": "run_id=run-2/stage=core"}]


def test_a_table_an_older_release_made_gets_the_new_columns_and_keeps_its_rows(tmp_path: Path) -> None:
    """audit.check_results made before `sample` existed (a column added later goes after the others):
    the gate step adds it and writes each value to its own column, by name, not by position."""
    folder = tables_in_spark(tmp_path, [RETURNS], ["core.fct_returns"])["folder"]
    older = [(n, k) for n, k in COLUMNS if n != "sample"]
    spark_sql(
        folder,
        "create database audit",
        f"create table audit.check_results ({', '.join(f'{n} {k}' for n, k in older)})"
        " using parquet partitioned by (run_id, stage)",
        "insert into audit.check_results values"
        " ('pandera:old', 'core.fct_returns', 'error', true, 0, timestamp'2026-01-01', 'run-0', 'core')",
    )
    core = _gate(folder, "core", "run-1")
    rows = spark_sql(folder, "select * from audit.check_results")
    assert [name for name in rows[0]] == [n for n, _ in older[:-2]] + ["sample", "run_id", "stage"]
    by_name = {r["check_name"]: r for r in rows}
    assert by_name["pandera:old"]["sample"] is None and by_name["pandera:old"]["run_id"] == "run-0"
    wrong = by_name["pandera:fct_returns:quantity_positive"]
    assert (
        wrong["failing_rows"] == 1
        and "r2" not in wrong["sample"]
        and '"return_line_key": 2' in wrong["sample"]
    )
    assert wrong["checked_at"].startswith("20") and wrong["severity"] in ("error", "warn")
    assert len(rows) == len(core) + 1


def _gate_sample(printed: list[dict], row: dict) -> str:
    return next(r["sample"] for r in printed if r["check_name"] == row["check_name"])


def test_what_a_write_killed_in_its_commit_leaves_is_read_and_written_again(tmp_path: Path) -> None:
    """Dynamic overwrite stages the new rows in a hidden folder, then per partition deletes the old folder
    and moves the new one in. Killed between the two: the partition's folder is gone and the staging
    folder stays. The other runs' checks are still read, and the stage run again records its rows."""
    folder = tables_in_spark(tmp_path, [RETURNS], ["core.fct_returns"])["folder"]
    core = _gate(folder, "core", "run-1")
    _gate(folder, "core", "run-2")
    table = folder / "warehouse" / "audit.db" / "check_results"
    staged = table / ".spark-staging-killed" / "run_id=run-2" / "stage=core"
    shutil.copytree(table / "run_id=run-2" / "stage=core", staged)
    shutil.rmtree(table / "run_id=run-2")
    count_by_run = "select run_id, count(*) as n from audit.check_results group by run_id"
    assert {r["run_id"]: r["n"] for r in spark_sql(folder, count_by_run)} == {"run-1": len(core)}

    _gate(folder, "core", "run-2")
    assert {r["run_id"]: r["n"] for r in spark_sql(folder, count_by_run)} == {
        "run-1": len(core),
        "run-2": len(core),
    }


_CLEAR = """
import sys
from datetime import datetime
from pathlib import Path
from pipelines.spark.audit import clear_samples_before
from pipelines.spark.session import local_session
print(clear_samples_before(local_session(Path(sys.argv[1])), datetime.fromisoformat(sys.argv[2])))
"""


def _clear(folder: Path, erased_at: datetime) -> int:
    done = subprocess.run(
        [sys.executable, "-c", _CLEAR, str(folder), erased_at.isoformat()], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return int(done.stdout.splitlines()[-1])


def test_samples_recorded_before_an_erasure_are_cleared(tmp_path: Path) -> None:
    """A check's sample can hold a person's rows; an erasure cannot know which, so every sample recorded
    before it goes (DuckDB's erasure sweeps its own). The results stay; later samples are kept."""
    folder = tables_in_spark(tmp_path, [RETURNS], ["core.fct_returns"])["folder"]
    core = _gate(folder, "core", "run-1")
    before = {r["check_name"]: r for r in _recorded(folder)}
    assert all(r["sample"] is not None for r in before.values())
    erased_at = datetime.now(UTC)
    assert _clear(folder, erased_at) == len(core)
    after = {r["check_name"]: r for r in _recorded(folder)}
    assert all(r["sample"] is None for r in after.values())
    assert {k: {**r, "sample": None} for k, r in before.items()} == after
    _gate(folder, "core", "run-2")
    assert _clear(folder, erased_at) == 0  # nothing left to clear; run-2's samples are after the erasure
    kept = [r["sample"] is not None for r in _recorded(folder) if r["run_id"] == "run-2"]
    assert len(kept) == len(core) and all(kept)
