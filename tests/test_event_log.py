"""The instance's event log keeps its SQLite connections open: a run over many daily partitions does not
open, sync and close a database per event, and what it writes is the same event log Dagster reads."""

from __future__ import annotations

import sqlite3.dbapi2
from datetime import date
from pathlib import Path

import dagster as dg

from pipelines.defs.event_log import PooledSqliteEventLogStorage
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


def test_each_stored_event_touches_the_run_shard_a_watcher_follows(tmp_path: Path) -> None:
    with open_instance(tmp_path) as instance:
        storage = instance.event_log_storage
        result = _range_run(instance)
        shard = Path(storage.path_for_shard(result.run_id))
        before = shard.stat().st_mtime_ns
        instance.report_engine_event("one more", dg.DagsterRun(job_name="x", run_id=result.run_id))
        assert shard.stat().st_mtime_ns > before
        assert instance.all_logs(result.run_id)[-1].message == "one more"
