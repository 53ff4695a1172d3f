"""A backfill of days is one run that loads exactly those days' files; a later whole run loads the rest,
and the raw layer then equals a load of everything at once (real Dagster, real dbt)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.config import load_settings
from pipelines.defs.dbt_worker import launcher
from pipelines.defs.instance import open_instance
from pipelines.defs.partitions import DAILY_FEEDS
from pipelines.defs.runner import run_pipeline
from sources.dev.simulator import simulate
from sources.feeds import FEEDS
from sources.ingest.file_days import day_in_name
from sources.ingest.files import discover

pytestmark = pytest.mark.integration

SIMULATION = {"customers": 200, "days": 4, "seed": 5}
DAYS = ("2025-01-02", "2025-01-03")  # simulate starts on 2025-01-01


def ledger(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "SELECT feed, source_file, content_hash, rows_read, rows_loaded, rows_quarantined "
            "FROM audit.load_ledger ORDER BY feed, source_file"
        ).fetchall()


def raw_counts(warehouse: Path) -> dict[str, int]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return {f: con.execute(f"SELECT count(*) FROM raw.{f}").fetchone()[0] for f in FEEDS}


def test_a_backfill_of_two_days_then_a_whole_run_equals_a_full_load(tmp_path: Path, monkeypatch) -> None:
    data = tmp_path / "data"
    simulate(out=data / "landing", **SIMULATION)
    settings = load_settings(data_dir=data, env={})
    landing = settings.landing_dir
    event_files = {
        lf.relative: str(day_in_name(lf.path.name))
        for feed in DAILY_FEEDS
        for lf in discover(landing, FEEDS[feed])
    }
    of_the_days = {rel for rel, day in event_files.items() if DAYS[0] <= day <= DAYS[1]}
    assert of_the_days and len(of_the_days) < len(event_files)

    # count the resident dbt processes this run starts (none left from an earlier test's run)
    monkeypatch.setattr(launcher, "_started", {})
    started: list[list[str]] = []

    def popen(args, **kwargs):
        started.append(list(args))
        return real_popen(args, **kwargs)

    real_popen = launcher.subprocess.Popen
    monkeypatch.setattr(launcher.subprocess, "Popen", popen)
    backfill = run_pipeline(settings, days=f"{DAYS[0]}:{DAYS[1]}")
    assert backfill.success, backfill.failures
    monkeypatch.setattr(launcher.subprocess, "Popen", real_popen)
    # one resident dbt process served the run's dbt steps (staging, core, marts): every dbt command
    # went to its client, none started a dbt of its own
    servers = [a for a in started if "pipelines.defs.dbt_worker.server" in a]
    dbt_commands = [a for a in started if Path(str(a[0])).name == "dbt"]
    assert len(servers) == 1, servers
    assert sum("build" in a for a in dbt_commands) >= 3, dbt_commands
    assert all(Path(str(a[0])).parent.name == "dbt_worker" for a in dbt_commands), dbt_commands
    loaded = {row[1] for row in ledger(settings.warehouse_path)}
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        attempted = {
            f for (f,) in con.execute("SELECT DISTINCT source_file FROM audit.load_events").fetchall()
        }
    # exactly those days' event files were looked at (a byte-identical resend is a skipped duplicate);
    # the list feeds have no days: they load what is new
    assert attempted & set(event_files) == of_the_days and loaded & set(event_files) <= of_the_days
    assert "marts.customer_360" in backfill.materialized  # with the build downstream

    instance = open_instance(data)
    try:
        runs = instance.get_runs()
        assert len(runs) == 1  # one run for the range: one writer, dbt once
        dbt_steps = [
            r.event_log_entry.step_key
            for r in instance.get_records_for_run(
                runs[0].run_id, of_type=dg.DagsterEventType.STEP_START
            ).records
            if r.event_log_entry.step_key and "dbt" in r.event_log_entry.step_key
        ]
        assert len(dbt_steps) >= 3, dbt_steps  # several dbt steps, the one process above served them
        events = instance.get_records_for_run(
            runs[0].run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
        )
        materialized = [
            r.event_log_entry.dagster_event.event_specific_data.materialization for r in events.records
        ]
        pos = sorted(m.partition for m in materialized if m.asset_key == dg.AssetKey(["raw", "pos"]))
        assert pos == list(DAYS)
        staging = [m for m in materialized if m.asset_key.path[0] == "staging"]
        assert staging and all(m.partition is None for m in staging)
        assert len({m.asset_key for m in staging}) == len(staging)  # each dbt model built once
    finally:
        instance.dispose()

    whole = run_pipeline(settings)  # nothing recorded before: every file is new, the rest loads
    assert whole.success, whole.failures
    assert whole.nothing_new_since is None

    reference = load_settings(data_dir=tmp_path / "reference", env={})
    simulate(out=reference.landing_dir, **SIMULATION)
    at_once = run_pipeline(reference, selection="group:raw")
    assert at_once.success, at_once.failures
    assert ledger(settings.warehouse_path) == ledger(reference.warehouse_path)
    assert raw_counts(settings.warehouse_path) == raw_counts(reference.warehouse_path)
    assert sum(raw_counts(settings.warehouse_path).values()) > 0
