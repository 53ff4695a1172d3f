"""`crm360 identity-eval`: crm360 and the Splink reference scored on labelled person-record benchmarks."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg

from pipelines.bench.baseline import run_baseline
from pipelines.config import load_settings
from pipelines.defs.runner import run_pipeline
from pipelines.identity import evaluate
from sources.dev.benchmarks import febrl
from sources.ingest.validate import MAX_AGE_ENV

# Quality checks are left out: the evaluation measures identity, and a benchmark lands only one
# feed, which the freshness checks of the other (empty) feeds would stop.
UP_TO_IDENTITY = (
    dg.AssetSelection.assets(dg.AssetKey(["core", "customer_identity_map"])).upstream().without_checks()
)
# Simulator population of the evaluation: small enough for minutes on 2 cores, with every feed.
SIM_CUSTOMERS, SIM_DAYS, SIM_SEED = 2000, 90, 7
BENCHMARKS = (*febrl.DATASETS, "simulator")
# The target on every benchmark.
TARGET_F1, TARGET_PRECISION = 0.97, 0.99


@dataclass(frozen=True)
class Benchmark:
    """One benchmark, laid out as landing files with its truth beside them."""

    name: str
    data_dir: Path
    truth_file: Path
    facts: dict[str, Any]
    env: dict[str, str] = field(default_factory=dict)  # CRM360_* settings its run needs (load_settings)


def prepare(name: str, work_dir: Path, limit: int | None = None) -> Benchmark:
    """Write benchmark `name` into a fresh data folder under work_dir (the old one is removed)."""
    data_dir = work_dir / name
    shutil.rmtree(data_dir, ignore_errors=True)
    landing, truth = data_dir / "landing", data_dir / "truth"
    if name == "simulator":
        from sources.dev.simulator import simulate

        customers = limit or SIM_CUSTOMERS
        simulate(customers=customers, days=SIM_DAYS, seed=SIM_SEED, out=landing, truth=truth,
                 start_date=date(2025, 1, 1))  # fmt: skip
        facts = {"customers": customers, "days": SIM_DAYS, "seed": SIM_SEED}
        return Benchmark(name, data_dir, truth / "records.csv", facts)
    written = febrl.write_feed(name, landing, truth, limit=limit)
    facts = {
        "records": written.records,
        "persons": written.persons,
        "invalid_dob_blanked": written.invalid_dob_blanked,
        "feed": "compiled_list",
        "max_age_years": febrl.MAX_AGE_YEARS,
    }
    env = {MAX_AGE_ENV: str(febrl.MAX_AGE_YEARS)}
    return Benchmark(name, data_dir, written.truth_file, facts, env)


def figures(report: dict[str, Any]) -> dict[str, Any]:
    """The pairwise and cluster figures of an evaluate() report."""
    keys = (
        "precision", "recall", "f1", "cluster_precision", "cluster_recall", "cluster_f1",
        "false_merge_pairs", "missed_link_pairs", "records_evaluated", "records_missing_from_map",
        "customers", "persons",
    )  # fmt: skip
    return {k: report[k] for k in keys}


def meets_target(fig: dict[str, Any]) -> bool:
    return fig["f1"] >= TARGET_F1 and fig["precision"] >= TARGET_PRECISION


def evaluate_one(bench: Benchmark, reference: bool = True) -> dict[str, Any]:
    """Run the pipeline up to identity on the benchmark's feeds; score it and the Splink reference."""
    settings = load_settings(data_dir=bench.data_dir, env=bench.env)
    t0 = time.perf_counter()
    summary = run_pipeline(settings, selection=UP_TO_IDENTITY, log_name=f"identity-eval-{bench.name}")
    seconds = time.perf_counter() - t0
    if not summary.success:
        failures = "; ".join(str(f) for f in summary.failures)
        raise RuntimeError(f"{bench.name}: the pipeline failed before identity: {failures}")
    crm = figures(evaluate(settings.warehouse_path, bench.truth_file))
    out: dict[str, Any] = {
        "benchmark": bench.name,
        **bench.facts,
        "crm360": {**crm, "pipeline_seconds": round(seconds, 1), "meets_target": meets_target(crm)},
    }
    if reference:
        ref = run_baseline(
            settings.warehouse_path,
            bench.truth_file,
            bench.data_dir / "spill",
            threshold=settings.identity.match_threshold,
        )
        if "skipped" not in ref:
            ref = {**ref, "meets_target": meets_target(ref)}
        out["splink_reference"] = ref
        if "f1" in ref:
            out["crm360_minus_reference_f1"] = round(crm["f1"] - ref["f1"], 4)
    return out


def run_eval(
    names: tuple[str, ...], work_dir: Path, limit: int | None = None, reference: bool = True
) -> list[dict[str, Any]]:
    """Every named benchmark in turn; one result dict each."""
    return [evaluate_one(prepare(name, work_dir, limit), reference=reference) for name in names]
