"""Session fixture for the Spark engine's whole-run tests: one `crm360 run` with CRM360_ENGINE=spark.

Shared by tests/test_spark_models.py (what the run built) and tests/test_spark_reruns.py (runs, syncs
and rebuilds after it, which change its data: that module runs after the first).
"""

from __future__ import annotations

import os
import subprocess
import sys

import duckdb
import pytest

from pipelines.config import load_settings
from pipelines.defs.assets.spark import SPARK_KEY
from pipelines.defs.instance import open_instance
from pipelines.spark.dbt import model_tables
from pipelines.spark.leg import COMPUTED
from pipelines.spark.session import spark_dir
from tests.spark_helpers import run_step
from tests.test_incremental_equality import day_of, deliver

POPULATION = ["--customers", "300", "--days", "120", "--seed", "5"]
CLI = [sys.executable, "-m", "pipelines.cli"]
# The run delivers all but the last days; those arrive later (test_spark_reruns.py), with a POS file
# held back from a day before them.
LATER_DAYS = 5


@pytest.fixture(scope="session")
def spark_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A simulated population run with CRM360_ENGINE=spark, and its Spark tables compared with DuckDB's."""
    root = tmp_path_factory.mktemp("spark")
    data, source = root / "data", root / "simulated" / "landing"
    subprocess.run([*CLI, "simulate", *POPULATION, "--out", str(source)], check=True)
    files = sorted(path for path in source.rglob("*") if path.is_file())
    days = sorted({day_of(f) for f in files if len(day_of(f)) == 10})
    late = next(f for f in files if f.parent.name == "pos" and day_of(f) == days[-LATER_DAYS - 3])
    assert deliver(files, source, data / "landing", days[-LATER_DAYS - 1], held=late) > 0
    env = {**os.environ, "CRM360_ENGINE": "spark"}
    run = subprocess.run([*CLI, "run", "--data-dir", str(data)], env=env, capture_output=True, text=True)
    assert run.returncode in (0, 3), run.stdout[-4000:] + run.stderr[-4000:]
    settings = load_settings(data)
    folder = spark_dir(data)
    models = model_tables(folder / "dbt-target")
    warehouse = str(settings.warehouse_path)
    compare = ["--warehouse", warehouse, "--spark-dir", str(folder), *models, *COMPUTED]
    compared = run_step("pipelines.spark.compare", *compare, ok=(0, 1))
    with open_instance(data) as instance:
        event = instance.get_latest_materialization_event(SPARK_KEY)
    return {
        "settings": settings,
        "models": models,
        "compared": compared,
        "folder": folder,
        "run": run,
        "spark_run": event.run_id if event else None,
        "delivery": {"files": files, "source": source, "last_day": days[-1]},
    }


def ledger_loads(built: dict) -> dict[str, tuple[int, int]]:
    """feed -> (loads with rows, rows loaded) in the DuckDB ledger."""
    with duckdb.connect(str(built["settings"].warehouse_path), read_only=True) as con:
        rows = con.execute(
            "select feed, count(*), sum(rows_loaded) from audit.load_ledger where rows_loaded > 0 group by 1"
        ).fetchall()
    return {feed: (loads, int(total)) for feed, loads, total in rows}
