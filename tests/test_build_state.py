"""Nothing new, nothing done: what a complete build depended on, and a run that finds it unchanged."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path

import duckdb
import pytest

from pipelines.config import load_settings
from pipelines.defs import build_state
from pipelines.defs.build_state import build_inputs, read_state, unchanged_since, write_state
from pipelines.defs.runner import run_pipeline
from sources.dev.simulator import simulate
from sources.feeds import FEEDS
from tests.ingest_helpers import POS_HEADER, pos_line, write


@pytest.fixture
def settings(tmp_path: Path):
    write(tmp_path / "landing" / "pos" / "d1.csv", POS_HEADER + "\n" + pos_line("T1") + "\n")
    return load_settings(data_dir=tmp_path, env={})


def test_unchanged_only_after_a_recorded_build_of_the_same_inputs(settings) -> None:
    inputs = build_inputs(settings)
    assert unchanged_since(settings, inputs) is None  # never built
    write_state(settings.data_dir, inputs, "run-1")
    assert read_state(settings.data_dir) == (inputs, "run-1")
    assert unchanged_since(settings, build_inputs(settings)) == "run-1"


def test_a_new_or_changed_landing_file_is_something_new(settings) -> None:
    write_state(settings.data_dir, build_inputs(settings), "run-1")
    landing = settings.landing_dir / "pos"
    write(landing / "d2.csv", POS_HEADER + "\n" + pos_line("T2") + "\n")
    assert unchanged_since(settings, build_inputs(settings)) is None
    (landing / "d2.csv").unlink()
    assert unchanged_since(settings, build_inputs(settings)) == "run-1"
    write(landing / "d1.csv", POS_HEADER + "\n" + pos_line("T1", qty="2") + "\n")  # re-sent, corrected
    assert unchanged_since(settings, build_inputs(settings)) is None


def test_a_changed_setting_or_code_is_something_new(settings, tmp_path: Path, monkeypatch) -> None:
    write_state(settings.data_dir, build_inputs(settings), "run-1")
    churn = load_settings(data_dir=settings.data_dir, env={"CRM360_CHURN_DAYS": "120"})
    assert unchanged_since(churn, build_inputs(churn)) is None
    model = tmp_path / "model.sql"
    model.write_text("select 1")
    monkeypatch.setattr(build_state, "code_files", lambda: [model])
    write_state(settings.data_dir, build_inputs(settings), "run-2")
    assert unchanged_since(settings, build_inputs(settings)) == "run-2"
    model.write_text("select 2")
    assert unchanged_since(settings, build_inputs(settings)) is None


def test_a_web_api_or_a_damaged_state_never_counts_as_nothing_new(settings) -> None:
    write_state(settings.data_dir, build_inputs(settings), "run-1")
    pulling = replace(settings, web_api_url="http://127.0.0.1:9")
    assert unchanged_since(pulling, build_inputs(pulling)) is None  # the API may hold new events
    (settings.data_dir / build_state.STATE_FILE).write_text("{not json")
    assert unchanged_since(settings, build_inputs(settings)) is None


def test_code_files_cover_python_and_the_dbt_project() -> None:
    names = {p.name for p in build_state.code_files()}
    assert {"runner.py", "loader.py", "gate.py", "dbt_project.yml", "customer_360.sql"} <= names
    assert not any(p.suffix == ".pyc" for p in build_state.code_files())


def test_the_nightly_schedule_builds_what_changed(settings) -> None:
    import dagster as dg

    from pipelines.defs.build_state import BuildResource
    from pipelines.defs.checks.freshness import freshness_check_keys
    from pipelines.defs.definitions import build_definitions
    from pipelines.defs.partitions import today_utc, whole_keys
    from pipelines.defs.schedules import (
        TAG_LANDING,
        TAG_NOTHING_NEW,
        TAG_WHOLE,
        completed_build,
        nightly_request,
        nightly_schedule,
        planned_at,
    )

    defs = build_definitions(settings)
    graph = defs.resolve_asset_graph()
    build, landing = BuildResource.from_settings(settings), defs.resources["landing"]
    first = nightly_schedule(
        dg.build_schedule_context(
            resources={"build": build, "landing": landing}, repository_def=defs.get_repository_def()
        )
    )
    # never built: the whole job; pos/d1.csv has no day in its name: its modification day (today)
    assert set(first.asset_selection) == set(whole_keys(graph))
    assert first.partition_key_range == dg.PartitionKeyRange(*[today_utc().isoformat()] * 2)
    assert first.tags[TAG_LANDING] == build.inputs().landing and TAG_NOTHING_NEW not in first.tags
    # an erasure while the run runs: its success records nothing (it may have missed the change)
    run = dg.DagsterRun(job_name="crm360_full_build", run_id="run-0", tags=first.tags)
    build_state.forget_build(settings.data_dir)
    build.record(completed_build(run), run.run_id, planned_at(run))
    assert TAG_NOTHING_NEW not in nightly_request(build, landing, graph).tags
    # a run planned after it succeeds; the run-status sensor records what it built from
    run = dg.DagsterRun(
        job_name="crm360_full_build", run_id="run-1", tags=nightly_request(build, landing, graph).tags
    )
    build.record(completed_build(run), run.run_id, planned_at(run))
    quiet = nightly_request(build, landing, graph)
    assert quiet.tags[TAG_NOTHING_NEW] == "run-1"
    assert quiet.asset_selection == []  # no asset: only every feed's freshness check
    assert quiet.asset_check_keys == [
        dg.AssetCheckKey(dg.AssetKey(["raw", f]), "source_freshness") for f in FEEDS
    ]
    # a loads-only run records nothing; neither does a selection
    assert completed_build(dg.DagsterRun(job_name="crm360_full_build", run_id="r2", tags=quiet.tags)) is None
    subset = dg.DagsterRun(
        job_name="crm360_full_build",
        run_id="r3",
        tags={k: v for k, v in first.tags.items() if k != TAG_WHOLE},
        asset_selection={dg.AssetKey(["raw", "pos"])},
    )
    assert completed_build(subset) is None
    # a new file of an old day: the whole build again, over that day only
    write(settings.landing_dir / "pos" / "pos_2025-03-02.csv", POS_HEADER + "\n" + pos_line("T2") + "\n")
    again = nightly_request(build, landing, graph)
    assert again.partition_key_range == dg.PartitionKeyRange("2025-03-02", "2025-03-02")
    assert set(again.asset_selection) == set(whole_keys(graph))  # web too: no file of that day, nothing
    # every feed's freshness is still checked
    assert set(freshness_check_keys()) <= set(again.asset_check_keys)


@pytest.mark.integration
def test_a_run_with_nothing_new_checks_freshness_and_stops(tmp_path: Path) -> None:
    data = tmp_path / "data"
    simulate(out=data / "landing", customers=120, days=10, seed=7)
    # a file the loader rejects (a repeated column): the build exits 3 and names it
    # (dated inside the simulated days: an undated file would take today, and one range from 2025 to
    # today would be recorded day by day)
    write(data / "landing" / "pos" / "bad_2025-01-05.csv", POS_HEADER + ",sku\n" + pos_line("T1") + ",x\n")
    settings = load_settings(data_dir=data, env={})
    full = run_pipeline(settings)
    assert full.success, full.failures
    assert full.exit_code == 3 and [f for f in full.rejected_files if "pos/bad_2025-01-05.csv" in f]
    assert full.nothing_new_since is None and "marts.customer_360" in full.materialized
    built = os.stat(data / "warehouse" / "crm360.duckdb").st_mtime_ns

    again = run_pipeline(settings)
    # still unloaded in the landing: named again, with the same status
    assert again.success and again.exit_code == 3 and again.rejected_files == full.rejected_files
    assert again.nothing_new_since == full.run_id
    assert again.materialized == set() and again.unbuilt == []
    with duckdb.connect(str(data / "warehouse" / "crm360.duckdb"), read_only=True) as con:
        checks = {n for (n,) in con.execute(
            "SELECT DISTINCT check_name FROM audit.check_results WHERE run_id = ?", [again.run_id]
        ).fetchall()}  # fmt: skip
        loads = con.execute("SELECT count(*) FROM audit.load_ledger WHERE run_id = ?", [again.run_id])
        assert loads.fetchone()[0] == 0
    # freshness still ages and is checked; nothing else runs
    assert checks == {f"source_freshness:raw.{f}" for f in FEEDS}
    assert os.stat(data / "warehouse" / "crm360.duckdb").st_mtime_ns >= built

    rebuilt = run_pipeline(settings, full_refresh=True)  # from raw: every incremental model again
    assert rebuilt.success and rebuilt.nothing_new_since is None
    assert "marts.customer_360" in rebuilt.materialized
    commands = [ln for ln in rebuilt.log_path.read_text().splitlines() if "Running dbt command" in ln]
    assert len(commands) == 3 and all("--full-refresh" in ln for ln in commands)


def test_a_forgotten_build_is_never_nothing_new(settings) -> None:
    """A change outside a run (an erasure) forgets the last build: the next run builds again."""
    inputs = build_inputs(settings)
    write_state(settings.data_dir, inputs, "run-1")
    build_state.forget_build(settings.data_dir)
    assert read_state(settings.data_dir) is None
    assert unchanged_since(settings, inputs) is None
    build_state.forget_build(settings.data_dir)  # nothing recorded: nothing to forget, no error


def test_a_build_that_started_before_an_erasure_is_not_recorded(settings) -> None:
    """A scheduled run the erasure did not wait for finishes after it: its record would hide the change."""
    inputs = build_inputs(settings)
    build_state.forget_build(settings.data_dir)
    stamp = json.loads((settings.data_dir / build_state.CHANGED_FILE).read_text())["at"]
    write_state(settings.data_dir, inputs, "run-before", started_at=stamp - 1)
    assert read_state(settings.data_dir) is None
    write_state(settings.data_dir, inputs, "run-after", started_at=stamp + 1)
    assert read_state(settings.data_dir) == (inputs, "run-after")
    changed = settings.data_dir / build_state.CHANGED_FILE
    changed.write_text("{not json")  # unreadable: dated by the file's time
    os.utime(changed, (stamp + 10, stamp + 10))
    write_state(settings.data_dir, inputs, "run-stale", started_at=stamp + 5)
    assert read_state(settings.data_dir) == (inputs, "run-after")
    write_state(settings.data_dir, inputs, "run-later", started_at=stamp + 20)
    assert read_state(settings.data_dir) == (inputs, "run-later")
