"""dbt on the Spark target: its command line, its environment and the tables it reads and builds.

Pure builders (unit-tested) around one subprocess call; the table lists come from dbt's manifest,
so a new model or source needs no change here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipelines.customer_refs import RefPatterns, ref_patterns_dbt_vars
from pipelines.kpi.settings import KpiSettings
from pipelines.spark.session import spark_dir
from pipelines.spark.settings import SPARK_DIR_ENV, SparkSettings

TARGET = "spark"
DBT = str(Path(sys.executable).parent / "dbt")  # the dbt of this environment


def dbt_vars(kpi: KpiSettings, ref_patterns: dict[str, RefPatterns]) -> dict[str, Any]:
    """The vars a pipeline run passes dbt: the KPI definitions and the customer_ref patterns."""
    return {**kpi.dbt_vars(), **ref_patterns_dbt_vars(ref_patterns)}


@dataclass(frozen=True)
class SparkDbt:
    """dbt's `spark` target for one data directory."""

    project_dir: Path
    data_dir: Path
    spark: SparkSettings
    vars: dict[str, Any]

    def environ(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """The environment profiles.yml's `spark` target reads: the Spark folder and settings."""
        env = dict(os.environ if base is None else base)
        return {**env, **self.spark.environ(), SPARK_DIR_ENV: str(spark_dir(self.data_dir))}

    def command(
        self, verb: str, target_path: Path, select: list[str] | None = None, extra: tuple[str, ...] = ()
    ) -> list[str]:
        """`dbt <verb>` on the Spark target with the run's vars, its own target and log folders.

        A build leaves the unit tests out, as production runs on DuckDB do (Settings.dbt_unit_tests):
        they check logic on fixed rows; pipelines/spark/unit_tests.py runs them on Spark."""
        project = str(self.project_dir)
        command = [
            DBT, verb, "--target", TARGET, "--project-dir", project, "--profiles-dir", project,
            "--target-path", str(target_path), "--log-path", str(target_path / "logs"),
            "--vars", json.dumps(self.vars, sort_keys=True),
        ]  # fmt: skip
        if verb == "build":
            command += ["--exclude-resource-type", "unit_test"]
        return command + (["--select", *select] if select else []) + list(extra)

    def invoke(self, args: list[str]) -> bool:
        """dbt in this process (its Python API), with the environment the `spark` target reads: for a
        step that opens the Spark session dbt then uses (pipelines/spark/unit_tests.py)."""
        from dbt.cli.main import dbtRunner

        os.environ.update(self.environ())
        return bool(dbtRunner().invoke(args).success)

    def run(
        self, verb: str, target_path: Path, select: list[str] | None = None, extra: tuple[str, ...] = ()
    ) -> None:
        """Run dbt on Spark; a failing model raises with dbt's output."""
        command = self.command(verb, target_path, select, extra)
        done = subprocess.run(command, env=self.environ(), capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"dbt {verb} on Spark failed ({done.returncode}):\n{done.stdout[-6000:]}")


def _manifest(target_path: Path) -> dict[str, Any]:
    return json.loads((target_path / "manifest.json").read_text())


def source_tables(target_path: Path) -> list[str]:
    """`schema.table` of every dbt source: what Spark must hold before dbt runs there."""
    sources = _manifest(target_path)["sources"].values()
    return sorted({f"{s['schema']}.{s['identifier'] or s['name']}" for s in sources})


def model_tables(target_path: Path) -> list[str]:
    """`schema.table` of every enabled model: what a dbt run builds."""
    nodes = _manifest(target_path)["nodes"].values()
    return sorted(
        f"{n['schema']}.{n['alias'] or n['name']}"
        for n in nodes
        if n["resource_type"] == "model" and n["config"].get("enabled", True)
    )


def tests_run(target_path: Path) -> dict[str, int]:
    """The data tests of the last dbt invocation in this target folder, by status (pass, warn, ...)."""
    results = json.loads((target_path / "run_results.json").read_text())["results"]
    counts: dict[str, int] = {}
    for result in results:
        if result["unique_id"].startswith("test."):
            counts[result["status"]] = counts.get(result["status"], 0) + 1
    return counts


def data_tests(target_path: Path) -> list[str]:
    """unique_id of every enabled data test in the manifest: what the build's phases must run."""
    nodes = _manifest(target_path)["nodes"].values()
    return sorted(n["unique_id"] for n in nodes if n["resource_type"] == "test")
