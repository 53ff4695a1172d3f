"""One timed in-process run of the whole Dagster job, with the step start/end times of its event log."""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from pipelines.bench.stages import StepTime
from pipelines.config import DBT_PROJECT_DIR, Settings
from pipelines.runner import _progress_logger, failed_check_lines, landed_by_feed

JOB = "crm360_bench_run"
_END_EVENTS = {
    dg.DagsterEventType.STEP_SUCCESS: "success",
    dg.DagsterEventType.STEP_FAILURE: "failure",
    dg.DagsterEventType.STEP_SKIPPED: "skipped",
}


@dataclass
class TimedRun:
    run_id: str
    success: bool
    start: float  # epoch seconds
    end: float
    steps: list[StepTime]
    failures: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)
    feeds: list[tuple[str, int, int, int, int]] = field(default_factory=list)  # as RunSummary.feeds
    log_path: Path | None = None

    @property
    def seconds(self) -> float:
        return self.end - self.start

    @property
    def rows_loaded(self) -> int:
        return sum(f[3] for f in self.feeds)


def steps_from_events(records: list[dg.EventLogEntry]) -> list[StepTime]:
    """Pair each step's STEP_START with its end event; a step that never started has no row."""
    started: dict[str, float] = {}
    steps: list[StepTime] = []
    for rec in records:
        event = rec.dagster_event
        if event is None or not rec.step_key:
            continue
        if event.event_type == dg.DagsterEventType.STEP_START:
            started[rec.step_key] = rec.timestamp
        elif event.event_type in _END_EVENTS:
            begin = started.pop(rec.step_key, rec.timestamp)
            steps.append(StepTime(rec.step_key, begin, rec.timestamp, _END_EVENTS[event.event_type]))
    return sorted(steps, key=lambda s: s.start)


def dbt_execution(
    run_id: str, steps: tuple[str, ...], target: Path = DBT_PROJECT_DIR / "target"
) -> dict[str, dict[str, float]]:
    """What dbt itself reports for each dbt step of a run: elapsed time and seconds per node kind.

    dagster-dbt gives every invocation its own target folder `<step>-<run_id[:7]>-<uuid>`; the step
    time minus dbt's `elapsed_time` is dbt start-up, project parsing and Dagster's event handling.
    """
    out: dict[str, dict[str, float]] = {}
    for step in steps:
        for path in sorted(target.glob(f"{step}-{run_id[:7]}-*/run_results.json")):
            results = json.loads(path.read_text())
            per_kind: dict[str, float] = {}
            for r in results["results"]:
                kind = r["unique_id"].split(".", 1)[0]  # model | test | unit_test | source
                per_kind[kind] = per_kind.get(kind, 0.0) + (r.get("execution_time") or 0.0)
            out[step] = {
                "elapsed_seconds": results["elapsed_time"],
                **{f"{k}_seconds": v for k, v in per_kind.items()},
            }
    return out


def run_timed(settings: Settings) -> TimedRun:
    """The job `crm360 run` executes (pipelines/runner.py: same definitions, loggers and dbt log file),
    launched on an instance this module keeps so that the event log's step times can be read."""
    from pipelines.definitions import all_assets, all_checks, build_resources

    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    job = dg.define_asset_job(JOB, selection=dg.AssetSelection.all())
    defs = dg.Definitions(
        assets=all_assets(), asset_checks=all_checks(), resources=build_resources(settings), jobs=[job]
    )
    job_def = defs.resolve_job_def(JOB).with_logger_defs({"progress": _progress_logger()})
    log_path = settings.data_dir / "logs" / f"bench-{time.strftime('%Y%m%dT%H%M%S')}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    instance = dg.DagsterInstance.ephemeral()
    start = time.time()
    with log_path.open("w") as log_file, contextlib.redirect_stdout(log_file):
        result = job_def.execute_in_process(
            instance=instance, raise_on_error=False, run_config={"loggers": {"progress": {}}}
        )
    end = time.time()
    run = TimedRun(
        run_id=result.run_id,
        success=result.success,
        start=start,
        end=end,
        steps=steps_from_events(list(instance.all_logs(result.run_id))),
        log_path=log_path,
    )
    for event in result.all_events:
        if event.is_step_failure:
            err = event.step_failure_data.error
            run.failures.append(f"{event.step_key}: {err.message.strip() if err else 'failed'}")
    run.feeds = landed_by_feed(settings, result.run_id)
    run.failed_checks = failed_check_lines(settings, result.run_id)
    return run
