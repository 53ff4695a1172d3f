"""dbt on the Spark target: its command line, its environment and the tables it reads and builds.

Pure builders (unit-tested) around one subprocess call; the table lists come from dbt's manifest,
so a new model or source needs no change here.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from pipelines.config import DBT_PROJECT_DIR, Settings
from pipelines.customer_refs import ref_patterns_dbt_vars
from pipelines.spark.session import SPARK_DIR_ENV, spark_dir

TARGET = "spark"
DBT = str(Path(sys.executable).parent / "dbt")  # the dbt of this environment


def dbt_vars(settings: Settings) -> dict[str, Any]:
    """The vars a pipeline run passes dbt: the KPI definitions and the customer_ref patterns."""
    return {**settings.kpi.dbt_vars(), **ref_patterns_dbt_vars(settings.customer_ref_patterns)}


def spark_environ(settings: Settings, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment dbt's `spark` target reads (profiles.yml): the data directory's Spark folder."""
    env = dict(os.environ if base is None else base)
    env[SPARK_DIR_ENV] = str(spark_dir(settings.data_dir))
    return env


def dbt_command(
    settings: Settings, verb: str, target_path: Path, select: list[str] | None = None
) -> list[str]:
    """`dbt <verb>` on the Spark target with the run's vars, its own target and log folders."""
    command = [
        DBT, verb, "--target", TARGET,
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(target_path), "--log-path", str(target_path / "logs"),
        "--vars", json.dumps(dbt_vars(settings), sort_keys=True),
    ]  # fmt: skip
    if select:
        command += ["--select", *select]
    return command


def run_dbt(settings: Settings, verb: str, target_path: Path, select: list[str] | None = None) -> None:
    """Run dbt on Spark; a failing model raises with dbt's output."""
    command = dbt_command(settings, verb, target_path, select)
    done = subprocess.run(command, env=spark_environ(settings), capture_output=True, text=True)
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
