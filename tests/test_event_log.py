"""The instance's event log keeps its SQLite connections open: a run over many daily partitions does not
open, sync and close a database per event, and what it writes is the same event log Dagster (the UI, a
later run, an instance from before the switch) reads."""

from __future__ import annotations

import sqlite3.dbapi2
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import dagster as dg
from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.dagster_run import DagsterRun

from pipelines.defs.event_log import OPEN_RUN_SHARDS, PooledSqliteEventLogStorage
from pipelines.defs.instance import open_instance

DAYS = dg.DailyPartitionsDefinition(start_date="2025-01-01", end_date="2025-03-02", timezone="UTC")


@dg.asset(partitions_def=DAYS, backfill_policy=dg.BackfillPolicy.single_run())
def daily(context) -> None:
    context.log.info(f"{len(context.partition_keys)} days")


def _range_run(instance: dg.DagsterInstance) -> dg.ExecuteInProcessResult:
    job = dg.Definitions(assets=[daily]).resolve_implicit_global_asset_job_def()
    tags = {
        "dagster/asset_partition_range_start": "2025-01-01",
        "dagster/asset_partition_range_end": "2025-03-01",
    }
    return job.execute_in_process(instance=instance, tags=tags)


def test_a_run_over_sixty_days_opens_each_database_once(tmp_path: Path, monkeypatch) -> None:
    opened: list[str] = []
    real_connect = sqlite3.dbapi2.connect

    def counting(database, *args, **kwargs):
        opened.append(str(database))
        return real_connect(database, *args, **kwargs)

    with open_instance(tmp_path) as instance:
        assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
        _range_run(instance)  # creates the index and first shard outside the count
        monkeypatch.setattr(sqlite3.dbapi2, "connect", counting)  # what SQLAlchemy calls
        result = _range_run(instance)
        monkeypatch.setattr(sqlite3.dbapi2, "connect", real_connect)
        stored = len(instance.all_logs(result.run_id))
    # 60 days: 120 materialization events and their planned events, over 2 databases
    assert stored > 120
    event_dbs = [p for p in opened if "/history/runs/" in p]  # not the run storage, runs.db
    assert len(event_dbs) <= 3, event_dbs  # the run's new shard, the index: each opened once

    # another process (the UI) opening the same home reads every partition
    with dg.DagsterInstance.from_config(str(tmp_path / "dagster")) as other:
        status = other.get_status_by_partition(daily.key, DAYS.get_partition_keys(), DAYS)
        assert status is not None
        done = [k for k, s in status.items() if s == dg.AssetPartitionStatus.MATERIALIZED]
        assert len(done) == 60 and date.fromisoformat(done[-1]) == date(2025, 3, 1)


def materialize(instance: dg.DagsterInstance, run_id: str, asset: str) -> None:
    event = DagsterEvent(
        event_type_value=DagsterEventType.ASSET_MATERIALIZATION.value,
        job_name="job",
        event_specific_data=StepMaterializationData(dg.AssetMaterialization(asset_key=asset)),
    )
    entry = EventLogEntry(
        error_info=None, level=20, user_message="", run_id=run_id, timestamp=time.time(), dagster_event=event
    )
    instance.handle_new_event(entry)


def test_the_instance_writes_through_the_pooled_storage_in_dagsters_layout(tmp_path: Path) -> None:
    with open_instance(tmp_path) as instance:
        assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
        instance.add_run(DagsterRun(job_name="job", run_id="r1"))
        for i in range(5):
            materialize(instance, "r1", f"a{i}")
        shard = tmp_path / "dagster" / "history" / "runs" / "r1.db"
        with sqlite3.connect(shard) as con:  # a plain reader sees the committed events meanwhile
            assert con.execute("SELECT count(*) FROM event_logs").fetchone()[0] == 5
            assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    # Another process (the UI, the next run) reads what this one wrote.
    code = (
        "import sys; from pathlib import Path\n"
        "from pipelines.defs.instance import open_instance\n"
        "with open_instance(Path(sys.argv[1])) as i:\n"
        "    print(sorted(k.to_user_string() for k in i.get_asset_keys()))"
    )
    cmd = [sys.executable, "-c", code, str(tmp_path)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == str([f"a{i}" for i in range(5)])


def test_events_written_by_dagsters_own_storage_stay_readable(tmp_path: Path) -> None:
    home = tmp_path / "dagster"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    with dg.DagsterInstance.from_config(str(home)) as before:  # an instance from before the switch
        assert type(before.event_log_storage).__name__ == "SqliteEventLogStorage"
        before.add_run(DagsterRun(job_name="job", run_id="old"))
        materialize(before, "old", "kept")
    (home / "dagster.yaml").unlink()  # crm360 writes its own again
    with open_instance(tmp_path) as after:
        assert isinstance(after.event_log_storage, PooledSqliteEventLogStorage)
        latest = after.get_latest_materialization_events([dg.AssetKey("kept")])
        assert [e.run_id for e in latest.values() if e] == ["old"]
        after.add_run(DagsterRun(job_name="job", run_id="new"))
        materialize(after, "new", "kept")
        assert len(after.all_logs("old")) == 1 and len(after.all_logs("new")) == 1


def test_open_shards_are_bounded_and_wipe_closes_them(tmp_path: Path) -> None:
    with open_instance(tmp_path) as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, PooledSqliteEventLogStorage)
        for i in range(OPEN_RUN_SHARDS + 5):
            instance.add_run(DagsterRun(job_name="job", run_id=f"r{i}"))
            materialize(instance, f"r{i}", "a")
        assert len(storage._engines) <= OPEN_RUN_SHARDS + 1  # and the index
        assert len(instance.all_logs("r0")) == 1  # an evicted shard opens again
        storage.wipe()
        assert storage._engines == {} or len(storage._engines) == 1  # at most the index, reopened
        assert not list((tmp_path / "dagster" / "history" / "runs").glob("r*.db"))


def test_a_watcher_of_a_running_run_sees_each_new_event(tmp_path: Path) -> None:
    """The UI follows a run's log through watch(); commits to the write-ahead log must still wake it."""
    with open_instance(tmp_path) as writer, open_instance(tmp_path) as ui:
        writer.add_run(DagsterRun(job_name="job", run_id="live"))
        materialize(writer, "live", "first")
        seen: list[str] = []
        ui.event_log_storage.watch("live", None, lambda entry, _cursor: seen.append(entry.run_id))
        time.sleep(0.5)
        for i in range(3):
            materialize(writer, "live", f"next{i}")
            deadline = time.monotonic() + 10
            while len(seen) < i + 1 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(seen) >= i + 1, f"the watcher missed event {i}"
