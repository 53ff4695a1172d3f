"""The benchmark at one or more scales: simulate (cached), full build, one more day, references."""

from __future__ import annotations

import copy
import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console

from pipelines.bench.baseline import identity_figures, run_baseline
from pipelines.bench.landing import link_landing, simulated
from pipelines.bench.memory import MemorySampler
from pipelines.bench.pipeline import TimedRun, dbt_execution, dbt_model_seconds, run_timed
from pipelines.bench.references import bare_sql, copy_warehouse, floor_scan
from pipelines.bench.report import short_reason
from pipelines.bench.stages import STAGES, stage_intervals, stage_seconds
from pipelines.config import load_settings
from pipelines.identity import evaluate

console = Console(stderr=True)
DBT_STEPS = ("dbt_staging", "dbt_warehouse", "dbt_marts")
# The references, cheapest first; at 1M customers on 2 cores bare SQL and Splink take about as
# long as the pipeline itself, so a run can choose a subset (--references floor).
REFERENCES = ("floor", "splink", "bare_sql")


@dataclass(frozen=True)
class BenchOptions:
    work_dir: Path
    days: int = 365
    seed: int = 42
    references: tuple[str, ...] = REFERENCES
    incremental: bool = True
    engine: str = "duckdb"  # spark: each run also builds on Spark (CRM360_ENGINE)


def pipeline_figures(run: TimedRun, sampler: MemorySampler) -> dict[str, Any]:
    stages = stage_seconds(run.steps)
    intervals = stage_intervals(run.steps)
    dbt = dbt_execution(run.run_id, DBT_STEPS)
    return {
        "run_id": run.run_id,
        "success": run.success,
        "seconds": run.seconds,
        "stages": stages,
        "dbt_steps_seconds": sum(s.seconds for s in run.steps if s.step_key in DBT_STEPS),
        # What dbt reports as its own run time inside those steps (run_results.json), per step.
        "dbt_inside_seconds": sum(d["elapsed_seconds"] for d in dbt.values()),
        "dbt_execution": dbt,
        "dbt_model_seconds": dbt_model_seconds(run.run_id, DBT_STEPS),
        # Time outside every step: Dagster planning, resource setup, event handling between steps.
        "between_steps_seconds": max(run.seconds - sum(s.seconds for s in run.steps), 0.0),
        "peak_rss_bytes": sampler.peak(run.start, run.end),
        "stage_peak_rss_bytes": {s: sampler.peak_over(intervals[s]) for s in STAGES},
        "rows_loaded": run.rows_loaded,
        "files_loaded": sum(f[1] for f in run.feeds),
        "steps": [{"step": s.step_key, "seconds": s.seconds, "status": s.status} for s in run.steps],
        "failures": run.failures,
        "failed_checks": run.failed_checks,
        "log": str(run.log_path),
    }


def _timed(sampler: MemorySampler, fn, *args, **kwargs) -> dict[str, Any]:
    """fn's result dict plus the peak RSS while it ran; an exception becomes an 'error' entry."""
    start = time.time()
    sampler.sample_now()
    try:
        out = fn(*args, **kwargs)
    except Exception as exc:  # a reference that fails must not lose the pipeline's figures
        out = {"error": f"{type(exc).__name__}: {exc}"}
    sampler.sample_now()
    out["peak_rss_bytes"] = sampler.peak(start, time.time())
    return out


def _reported(name: str, figures: dict[str, Any]) -> None:
    """One line per finished reference in the log, so that a kill after it still shows it."""
    if "seconds" in figures:
        f1 = f", F1 {figures['f1']:.4f}" if "f1" in figures else ""
        console.print(f"  {name}: {figures['seconds']:,.1f} s{f1}")
    else:
        console.print(f"  [yellow]{name}: {short_reason(figures.get('error') or figures.get('skipped'))}[/]")


def phases(opts: BenchOptions) -> list[str]:
    """What one scale measures, in order: the names a partial report's phases_pending lists."""
    daily = ["one more day", "no new files"] if opts.incremental else []
    return ["full build", *daily, *opts.references]


def bench_scale(
    customers: int, opts: BenchOptions, save: Callable[[dict[str, Any]], None] | None = None
) -> dict[str, Any]:
    """Everything measured at one scale (see docs/performance.md for what each figure means).

    After each phase but the last, save gets the figures so far with phases_pending: at 1M
    customers a scale takes over two hours here, and a kill in its references must not lose
    the full build and one-more-day figures already measured.
    """
    todo = phases(opts)

    def done(phase: str) -> None:
        todo.remove(phase)
        if save and todo:
            save(copy.deepcopy({**out, "phases_pending": list(todo)}))  # later phases add to out

    console.rule(f"[bold]{customers:,} customers x {opts.days} days")
    console.print("simulating (cached per customers/days/seed) ...")
    sim_dir, sim = simulated(opts.work_dir, customers, opts.days, opts.seed)
    data = opts.work_dir / "runs" / sim_dir.name
    shutil.rmtree(data, ignore_errors=True)
    link_landing(sim_dir / "landing", data / "landing")
    settings = load_settings(data_dir=data).with_overrides(
        landing_dir=data / "landing", warehouse_path=data / "warehouse" / "crm360.duckdb", engine=opts.engine
    )
    out: dict[str, Any] = {"customers": customers, "days": opts.days, "seed": opts.seed}
    out.update(engine=opts.engine, simulation=sim)
    with MemorySampler() as sampler:
        console.print("[bold]full build[/] (every asset, in-process) ...")
        full = run_timed(settings)
        out["pipeline"] = pipeline_figures(full, sampler)
        if full.spark is not None:
            out["spark"] = full.spark
        if not full.success:  # figures of a failed build compare nothing; the JSON says what failed
            console.print(f"[red]full build failed; no one-more-day run or references: {full.failures}[/]")
            return out
        snapshot = copy_warehouse(settings.warehouse_path, data / "snapshot")
        truth = sim_dir / "truth" / "records.csv"
        out["identity"] = identity_figures(evaluate(snapshot, truth))
        done("full build")
        if opts.incremental:
            console.print("simulating one more day ...")
            next_dir, next_sim = simulated(opts.work_dir, customers, opts.days + 1, opts.seed)
            added = link_landing(next_dir / "landing", data / "landing")
            console.print(f"[bold]one more day[/]: {added} new files, whole job again ...")
            inc = run_timed(settings)
            out["incremental"] = {
                **pipeline_figures(inc, sampler),
                "files_added": added,
                "simulation": next_sim,
                "new_row_share": inc.rows_loaded / full.rows_loaded if full.rows_loaded else None,
            }
            done("one more day")
            console.print("[bold]no new files[/]: the same landing again ...")
            quiet = run_timed(settings)
            out["no_new_files"] = {
                **pipeline_figures(quiet, sampler),
                "nothing_new_since": quiet.nothing_new_since,
            }
            done("no new files")
        refs: dict[str, Any] = {}
        out["references"] = refs
        if "floor" in opts.references:
            console.print("reference: floor scan of every landing file ...")
            refs["floor"] = _timed(sampler, floor_scan, sim_dir / "landing", settings.duckdb_memory_limit)
            _reported("floor", refs["floor"])
            done("floor")
        if "splink" in opts.references:
            console.print("reference: Splink as its documentation teaches, on the same contact records ...")
            refs["splink"] = _timed(
                sampler,
                run_baseline,
                snapshot,
                truth,
                data / "splink_spill",
                settings.duckdb_memory_limit,
                settings.identity.seed,
                settings.identity.match_threshold,
            )
            _reported("splink", refs["splink"])
            done("splink")
        if "bare_sql" in opts.references:
            # Last: it rebuilds the snapshot in place (one warehouse-sized copy on disk, not two).
            console.print("reference: the dbt project's compiled SQL, bare ...")
            refs["bare_sql"] = _timed(sampler, bare_sql, snapshot, data / "bare", settings)
            _reported("bare_sql", refs["bare_sql"])
        if not refs:
            del out["references"]
    for leftover in (snapshot, snapshot.with_name(snapshot.name + ".wal"), data / "splink_spill"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)
    return out


def assemble(results: list[dict[str, Any]], started: str, machine_info: dict[str, Any]) -> dict[str, Any]:
    """The report over scales: ratios per scale, scaling across them, targets at the largest."""
    from pipelines.bench.overhead import model_overhead
    from pipelines.bench.report import ratios, scaling, targets

    results = sorted(results, key=lambda r: r["customers"])
    for result in results:
        result["ratios"] = ratios(result)
        if (per_model := model_overhead(result)) is not None:
            result["model_overhead"] = per_model
    return {
        "started_at": started,
        "machine": machine_info,
        "scales": results,
        "scaling": scaling(results),
        # issue 6's targets are stated for 1M customers: checked at the largest scale run.
        "targets": {"customers": results[-1]["customers"], **targets(results[-1])},
    }


def run_bench(
    scales: list[int],
    opts: BenchOptions,
    checkpoint: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Every scale in turn; after each but the last, checkpoint gets the report so far.

    Three scales with every reference take about four hours on 2 cores: a crash or a kill in the
    1M scale must not lose the two smaller ones already measured.
    """
    from pipelines.bench.report import machine

    opts.work_dir.mkdir(parents=True, exist_ok=True)
    started = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    info = machine()
    planned = sorted(scales)
    results: list[dict[str, Any]] = []
    for i, n in enumerate(planned):

        def save(partial: dict[str, Any], i: int = i) -> None:
            if checkpoint:  # the scale being run is in scales, with its phases_pending
                report = assemble([*results, partial], started, info)
                checkpoint({**report, "scales_pending": planned[i + 1 :]})

        result = bench_scale(n, opts, save)
        if i + 1 < len(planned):  # the last scale's report is the CLI's to write
            save(result)
        results.append(result)
    return assemble(results, started, info)


def combine(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """One report from runs of separate scales (each run is one process, so each scale is too).

    Refuses runs from different machines or versions: their times do not belong on one curve.
    """
    machines = {json.dumps(r["machine"], sort_keys=True) for r in reports}
    if len(machines) > 1:
        raise ValueError("the reports come from different machines or library versions")
    by_scale: dict[int, dict[str, Any]] = {}
    for scale in (s for r in reports for s in r["scales"]):
        # Of two runs of a scale, a complete one wins over one killed part-way (phases_pending).
        kept = by_scale.get(scale["customers"])
        if kept is None or kept.get("phases_pending") or not scale.get("phases_pending"):
            by_scale[scale["customers"]] = scale
    started = ", ".join(sorted(r["started_at"] for r in reports))
    return assemble(list(by_scale.values()), started, reports[0]["machine"])
