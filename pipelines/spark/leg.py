"""The Spark build of one data directory: raw loads synced, inputs copied, dbt, gate and marts on Spark.

Each Spark step runs in a process of its own: the embedded Derby metastore admits one JVM at a
time, and a step that fails or is killed leaves nothing open for the next. The DuckDB file is only
read, so the steps run after a DuckDB run has committed, never beside one that writes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pipelines.kpi.settings import KpiSettings
from pipelines.spark.clv import COMPUTED as CLV_COMPUTED
from pipelines.spark.dbt import SparkDbt, model_tables, source_tables, tests_run
from pipelines.spark.kpi_marts import COMPUTED as KPI_COMPUTED
from pipelines.spark.mirror import CLEARED
from pipelines.spark.raw_sync import SAMPLES_CLEARED
from pipelines.spark.session import session_args, spark_dir
from pipelines.spark.settings import SparkSettings
from quality.calibration import DistributionSettings
from quality.results import ERROR

# dbt's phases around the gate: every model up to core, then the marts. A test of a core model that
# also reads a mart waits for the marts (cautious selection leaves it out of the first phase).
CORE_SELECT = ["path:models/staging", "path:models/intermediate", "path:models/core"]
CORE_EXTRA = ("--indirect-selection", "cautious")
MARTS_SELECT = ["path:models/marts", "path:models/restricted"]
# The Python marts Spark computes from its own tables; DuckDB copies it every other non-raw source.
COMPUTED = (*CLV_COMPUTED, *KPI_COMPUTED)
# What the asset's metadata keeps of the CLV step's summary.
CLV_FIGURES = ("n_customers", "n_repeat_customers", "clv_models", "fallback_reasons", "total_clv", "warnings")


class SparkStepFailed(RuntimeError):
    """A Spark step exited non-zero; the message carries its name and the end of its output."""


class SparkChecksFailed(RuntimeError):
    """An error-severity pandera rule failed on Spark's tables: on core, the marts were not built."""

    def __init__(self, stage: str, failed: list[dict[str, Any]], checks: list[dict[str, Any]]) -> None:
        # checks: every result so far, each with its stage (Dagster's checks of the stages run)
        self.stage, self.failed, self.checks = stage, failed, checks
        shown = "\n".join(f"  {c['check_name']} ({c['asset']}): {c['failing_rows']} rows" for c in failed)
        then = "quality gate closed on Spark, marts not built" if stage == "core" else "marts checks failed"
        super().__init__(f"{then}:\n{shown}")


@dataclass
class SparkBuild:
    """What one Spark build did: seconds per step, raw loads copied, models built, checks, marts."""

    run_id: str = ""  # the checks' partition in Spark's audit.check_results (pipelines/spark/audit.py)
    seconds: dict[str, float] = field(default_factory=dict)
    raw: list[dict[str, Any]] = field(default_factory=list)
    copied: list[str] = field(default_factory=list)
    cleared: list[str] = field(default_factory=list)  # leftover table folders removed (a killed build's)
    samples_cleared: int = 0  # check samples in Spark's audit older than the last erasure, cleared
    models: list[str] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)  # pandera results on Spark, with their stage
    dbt_tests: dict[str, dict[str, int]] = field(default_factory=dict)  # phase -> tests by status
    clv: dict[str, Any] = field(default_factory=dict)  # the CLV step's summary (pipelines/kpi/clv_fit.py)
    marts: dict[str, Any] = field(default_factory=dict)  # the Python marts computed on Spark
    differ: list[str] | None = None  # tables unequal to DuckDB's, when compared

    @property
    def raw_rows_copied(self) -> int:
        return sum(r["rows_copied"] for r in self.raw)

    def figures(self) -> dict[str, Any]:
        """A JSON-able summary for run metadata and the benchmark."""
        return {
            "run_id": self.run_id,
            "seconds": self.seconds,
            "total_seconds": round(sum(self.seconds.values()), 1),
            "raw_loads_copied": sum(r["loads_copied"] for r in self.raw),
            "raw_rows_copied": self.raw_rows_copied,
            "tables_copied": len(self.copied),
            "copied": self.copied,
            "leftovers_cleared": self.cleared,
            "audit_samples_cleared": self.samples_cleared,
            "models_built": len(self.models),
            "checks_run": len(self.checks),
            "checks_failed": [c["check_name"] for c in self.checks if not c["passed"]],
            "check_failing_rows": {c["check_name"]: c["failing_rows"] for c in self.checks},
            "dbt_tests": self.dbt_tests,
            "computed_on_spark": sorted(
                [*(CLV_COMPUTED if self.clv else ()), *(KPI_COMPUTED if self.marts else ())]
            ),
            "clv": {k: self.clv[k] for k in CLV_FIGURES if k in self.clv},
            **({"tables_differ": self.differ} if self.differ is not None else {}),
        }


def step_command(module: str, warehouse: Path, folder: Path, spark: SparkSettings, *args: str) -> list[str]:
    """The command line of one Spark step module (raw_sync, mirror, compare) on this data's folder."""
    return [
        sys.executable, "-m", f"pipelines.spark.{module}", "--warehouse", str(warehouse),
        "--spark-dir", str(folder), *session_args(spark), *args,
    ]  # fmt: skip


def spark_step_command(module: str, folder: Path, spark: SparkSettings, *args: str) -> list[str]:
    """The command line of a step that reads Spark only (gates, clv, kpi_marts)."""
    return [
        sys.executable,
        "-m",
        f"pipelines.spark.{module}",
        "--spark-dir",
        str(folder),
        *session_args(spark),
        *args,
    ]


def _step(command: list[str], name: str, allowed: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode not in allowed:
        raise SparkStepFailed(f"Spark step {name} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return done


def json_lines(stdout: str) -> list[dict[str, Any]]:
    """The JSON objects a step printed, one per line; Spark's own chatter is skipped."""
    return [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]


def failed_errors(checks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The error-severity results that did not pass (a rule that could not run has passed=false)."""
    return [c for c in checks if not c["passed"] and c["severity"] == ERROR]


def copied_inputs(sources: list[str]) -> list[str]:
    """The dbt sources DuckDB hands Spark: neither raw (synced) nor computed on Spark."""
    return [t for t in sources if not t.startswith("raw.") and t not in COMPUTED]


def build_on_spark(
    dbt: SparkDbt,
    warehouse: Path,
    kpi: KpiSettings | None = None,
    distribution: DistributionSettings | None = None,
    compare: bool = False,
    run_id: str | None = None,
) -> SparkBuild:
    """Sync raw, copy DuckDB's other inputs, build to core, gate, compute CLV, build the marts,
    compute the other Python marts, check the marts; compare if asked.

    The pandera rules on core run on Spark before any mart: an error-severity failure raises
    SparkChecksFailed and the marts are not built, as the quality gate stops them on DuckDB.
    compare=True also checks every table's rows against the DuckDB build (pipelines/spark/compare.py)
    and lists the tables that differ; it does not raise for them. Each stage's pandera results and
    dbt tests are recorded in Spark's audit.check_results under run_id (a new id when not given).
    """
    out, folder = SparkBuild(run_id=run_id or uuid.uuid4().hex), spark_dir(dbt.data_dir)
    target, spark = folder / "dbt-target", dbt.spark
    kpi_json = json.dumps((kpi or KpiSettings()).plain())
    dist_json = json.dumps(asdict(distribution or DistributionSettings()))

    def timed(name: str, fn, *args):
        start = time.monotonic()
        result = fn(*args)
        out.seconds[name] = round(time.monotonic() - start, 1)
        return result

    def checks(stage: str) -> None:
        command = spark_step_command(
            "gates", folder, spark, "--stage", stage, "--distribution", dist_json,
            "--run-id", out.run_id, "--dbt-target", str(target),
        )  # fmt: skip
        results = json_lines(timed(f"checks_{stage}", _step, command, f"gates {stage}").stdout)
        out.checks += [{**result, "stage": stage} for result in results]
        if failed := failed_errors(results):
            raise SparkChecksFailed(stage, failed, out.checks)

    timed("parse", dbt.run, "parse", target)
    synced = timed("raw_sync", _step, step_command("raw_sync", warehouse, folder, spark), "raw_sync")
    synced_lines = json_lines(synced.stdout)
    out.raw = [line for line in synced_lines if "feed" in line]
    out.samples_cleared = sum(line.get(SAMPLES_CLEARED, 0) for line in synced_lines)
    # the models' folders a killed build left are cleared first: dbt-spark drops a table, then creates it
    leftovers = [arg for table in model_tables(target) for arg in ("--clear-leftover", table)]
    inputs = copied_inputs(source_tables(target))
    command = step_command("mirror", warehouse, folder, spark, *inputs, *leftovers)
    lines = [line.split() for line in timed("copy_inputs", _step, command, "mirror").stdout.splitlines()]
    out.copied = [words[0] for words in lines if len(words) == 1]
    out.cleared = [words[1] for words in lines if len(words) == 2 and words[0] == CLEARED]
    timed("dbt_core", dbt.run, "build", target, CORE_SELECT, CORE_EXTRA)
    out.dbt_tests["core"] = tests_run(target)
    checks("core")
    # CLV before the marts: customer_segments reads it
    command = spark_step_command("clv", folder, spark, "--kpi", kpi_json)
    out.clv = json_lines(timed("clv", _step, command, "clv").stdout)[0]
    timed("dbt_marts", dbt.run, "build", target, MARTS_SELECT)
    out.dbt_tests["marts"] = tests_run(target)
    command = spark_step_command("kpi_marts", folder, spark, "--kpi", kpi_json)
    out.marts = json_lines(timed("python_marts", _step, command, "kpi_marts").stdout)[0]
    out.models = model_tables(target)
    checks("marts")
    if compare:
        command = step_command("compare", warehouse, folder, spark, *out.models, *COMPUTED)
        compared = timed("compare", _step, command, "compare", (0, 1))
        out.differ = [line.split()[1] for line in compared.stdout.splitlines() if line.startswith("DIFFER")]
    return out
