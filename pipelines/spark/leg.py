"""The Spark build of one data directory: raw loads synced, the other inputs copied, dbt on Spark.

Each Spark step runs in a process of its own: the embedded Derby metastore admits one JVM at a
time, and a step that fails or is killed leaves nothing open for the next. The DuckDB file is only
read, so the steps run after a DuckDB run has committed, never beside one that writes.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipelines.spark.dbt import SparkDbt, model_tables, source_tables
from pipelines.spark.session import session_args, spark_dir
from pipelines.spark.settings import SparkSettings


class SparkStepFailed(RuntimeError):
    """A Spark step exited non-zero; the message carries its name and the end of its output."""


@dataclass
class SparkBuild:
    """What one Spark build did: seconds per step, the raw loads copied, the models built."""

    seconds: dict[str, float] = field(default_factory=dict)
    raw: list[dict[str, Any]] = field(default_factory=list)
    copied: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)
    differ: list[str] | None = None  # tables unequal to DuckDB's, when compared

    @property
    def raw_rows_copied(self) -> int:
        return sum(r["rows_copied"] for r in self.raw)

    def figures(self) -> dict[str, Any]:
        """A JSON-able summary for run metadata and the benchmark."""
        return {
            "seconds": self.seconds,
            "total_seconds": round(sum(self.seconds.values()), 1),
            "raw_loads_copied": sum(r["loads_copied"] for r in self.raw),
            "raw_rows_copied": self.raw_rows_copied,
            "tables_copied": len(self.copied),
            "models_built": len(self.models),
            **({"tables_differ": self.differ} if self.differ is not None else {}),
        }


def step_command(module: str, warehouse: Path, folder: Path, spark: SparkSettings, *args: str) -> list[str]:
    """The command line of one Spark step module (raw_sync, mirror, compare) on this data's folder."""
    return [
        sys.executable, "-m", f"pipelines.spark.{module}", "--warehouse", str(warehouse),
        "--spark-dir", str(folder), *session_args(spark), *args,
    ]  # fmt: skip


def _step(command: list[str], name: str, allowed: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode not in allowed:
        raise SparkStepFailed(f"Spark step {name} failed ({done.returncode}):\n{done.stderr[-4000:]}")
    return done


def build_on_spark(dbt: SparkDbt, warehouse: Path, compare: bool = False) -> SparkBuild:
    """Sync raw, copy what dbt reads but does not build, `dbt build` on Spark; compare if asked.

    compare=True also checks every model's rows against the DuckDB build (pipelines/spark/compare.py)
    and lists the tables that differ; it does not raise for them.
    """
    out, folder = SparkBuild(), spark_dir(dbt.data_dir)
    target = folder / "dbt-target"

    def timed(name: str, fn, *args):
        start = time.monotonic()
        result = fn(*args)
        out.seconds[name] = round(time.monotonic() - start, 1)
        return result

    timed("parse", dbt.run, "parse", target)
    synced = timed("raw_sync", _step, step_command("raw_sync", warehouse, folder, dbt.spark), "raw_sync")
    out.raw = [json.loads(line) for line in synced.stdout.splitlines() if line.startswith("{")]
    others = [t for t in source_tables(target) if not t.startswith("raw.")]
    command = step_command("mirror", warehouse, folder, dbt.spark, *others)
    mirrored = timed("copy_inputs", _step, command, "mirror")
    out.copied = mirrored.stdout.split()
    timed("dbt_build", dbt.run, "build", target)
    out.models = model_tables(target)
    if compare:
        command = step_command("compare", warehouse, folder, dbt.spark, *out.models)
        compared = timed("compare", _step, command, "compare", (0, 1))
        out.differ = [line.split()[1] for line in compared.stdout.splitlines() if line.startswith("DIFFER")]
    return out
