"""The persistent Dagster instance of a data directory: `<data dir>/dagster`, shared by the CLI, the UI,
the schedule and the sensor, with the single-writer pool configured in it."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import dagster as dg

MARKER = "# written by crm360 (pipelines/defs/instance.py): edits here are overwritten"


# One run at a time (queued runs wait; `crm360 run` holds <data dir>/run.lock, run_lock.py), and every
# pool has one slot: the only pool is WAREHOUSE_POOL, and DuckDB allows one writer per file.
# Run storage, event log and compute logs stay in SQLite files and folders under this directory; the
# event log is Dagster's own SQLite layout (history/runs/<run>.db and index.db) written through
# pooled connections (pipelines/defs/event_log.py).
def instance_yaml(home: Path) -> str:
    """crm360's dagster.yaml for the instance at `home` (the event log's folder is absolute)."""
    return f"""{MARKER}
concurrency:
  runs:
    max_concurrent_runs: 1
  pools:
    default_limit: 1
    granularity: op
telemetry:
  enabled: false
event_log_storage:
  module: pipelines.defs.event_log
  class: PooledSqliteEventLogStorage
  config:
    base_dir: {json.dumps(str(home.resolve() / "history" / "runs"))}
"""


# Tags that let a later CLI run tell whether a started run's process is still alive.
TAG_LAUNCHER = "crm360/launched_by"
TAG_HOST = "crm360/host"
TAG_PID = "crm360/pid"


def dagster_home(data_dir: Path) -> Path:
    """DAGSTER_HOME of a data directory."""
    return data_dir / "dagster"


def prepare_home(data_dir: Path) -> Path:
    """Create `<data dir>/dagster` with crm360's dagster.yaml; a dagster.yaml written by someone else is
    kept (an operator may point the instance at Postgres), but then it must set the pool itself."""
    home = dagster_home(data_dir)
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    wanted = instance_yaml(home)
    if not config.exists() or (config.read_text().startswith(MARKER) and config.read_text() != wanted):
        tmp = config.with_suffix(".yaml.tmp")
        tmp.write_text(wanted)
        os.replace(tmp, config)
    return home


def open_instance(data_dir: Path) -> dg.DagsterInstance:
    """The instance `dagster dev` opens with DAGSTER_HOME=<data dir>/dagster (`crm360 ui`, `make dagster`)."""
    return dg.DagsterInstance.from_config(str(prepare_home(data_dir)))


def cli_run_tags() -> dict[str, str]:
    """Tags of a run started by `crm360 run` in this process."""
    return {TAG_LAUNCHER: "cli", TAG_HOST: socket.gethostname(), TAG_PID: str(os.getpid())}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def release_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark failed the CLI runs of this host whose process is gone (killed mid-run) and free their pool
    slots; without this a killed `crm360 run` would hold the warehouse slot and every later run would
    wait for it forever. Returns the run ids released."""
    released = []
    in_progress = dg.RunsFilter(
        statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING],
        tags={TAG_LAUNCHER: "cli", TAG_HOST: socket.gethostname()},
    )
    for run in instance.get_runs(filters=in_progress):
        pid = run.tags.get(TAG_PID, "")
        if pid.isdigit() and not _alive(int(pid)):
            instance.report_run_failed(run, f"the process {pid} that ran it is gone (killed mid-run)")
            released.append(run.run_id)
    for run_id in released:
        instance.event_log_storage.free_concurrency_slots_for_run(run_id)
    return released
