"""One timed in-process run of the whole Dagster job, with the step start/end times of its event log."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from pipelines.bench.stages import StepTime
from pipelines.config import DBT_PROJECT_DIR, Settings
from pipelines.defs.assets.spark import SPARK_KEY
from pipelines.defs.instance import open_instance
from pipelines.defs.runner import run_pipeline

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
    feeds: list[tuple[str, int, int, int, int, int]] = field(default_factory=list)  # as RunSummary.feeds
    log_path: Path | None = None
    nothing_new_since: str | None = None  # set when the run found nothing new and stopped at the feeds
    spark: dict | None = None  # the Spark build's figures, when the run had one (CRM360_ENGINE=spark)

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


def materialized_figures(records: list[dg.EventLogEntry], key: dg.AssetKey) -> dict | None:
    """The `figures` metadata of the run's materialization of `key`; None when it has none."""
    for rec in records:
        event = rec.dagster_event
        if event is None or event.event_type != dg.DagsterEventType.ASSET_MATERIALIZATION:
            continue
        materialization = event.step_materialization_data.materialization
        if materialization.asset_key == key and "figures" in materialization.metadata:
            return materialization.metadata["figures"].value
    return None


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


def dbt_model_seconds(
    run_id: str, steps: tuple[str, ...], target: Path = DBT_PROJECT_DIR / "target"
) -> dict[str, float]:
    """Each model's execution time as dbt reports it (its materialization's statements included).

    Compared model by model with the same compiled SQL run bare (references.execute_bare), this
    says whether dbt's overhead sits in some models or is spread over all of them.
    """
    out: dict[str, float] = {}
    for step in steps:
        for path in sorted(target.glob(f"{step}-{run_id[:7]}-*/run_results.json")):
            for r in json.loads(path.read_text())["results"]:
                if r["unique_id"].startswith("model."):
                    out[r["unique_id"]] = out.get(r["unique_id"], 0.0) + (r.get("execution_time") or 0.0)
    return out


def run_timed(settings: Settings) -> TimedRun:
    """`crm360 run` (pipelines/defs/runner.run_pipeline) on the data directory's instance, held open
    here so that the event log's step start and end times can be read after the run."""
    with open_instance(settings.data_dir) as instance:
        start = time.time()
        summary = run_pipeline(settings, instance=instance, log_name="bench")
        end = time.time()
        records = list(instance.all_logs(summary.run_id))
    steps = steps_from_events(records)
    return TimedRun(
        run_id=summary.run_id,
        success=summary.success,
        start=start,
        end=end,
        steps=steps,
        failures=summary.failures,
        failed_checks=summary.failed_checks,
        feeds=summary.feeds,
        log_path=summary.log_path,
        nothing_new_since=summary.nothing_new_since,
        spark=materialized_figures(records, SPARK_KEY),
    )
