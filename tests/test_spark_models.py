"""The dbt models on local Spark equal their DuckDB build of the same simulated data, table by table.

A real pipeline run on DuckDB (ingestion, identity, dbt, the Python marts) builds the reference.
Spark then gets the tables dbt reads but does not build (raw, the identity map, the Python marts),
copied through Parquet, and dbt's `spark` target builds every model; each table's rows must equal
DuckDB's (pipelines/spark/compare.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.config import DBT_PROJECT_DIR, load_settings
from pipelines.spark.compare import compare_table
from pipelines.spark.dbt import SparkDbt, dbt_vars, model_tables, source_tables
from pipelines.spark.session import spark_dir

# The module fixture runs the whole pipeline on DuckDB and then dbt on Spark: more than the per-test limit.
pytestmark = [pytest.mark.spark, pytest.mark.integration, pytest.mark.timeout(2400)]

POPULATION = ["--customers", "300", "--days", "120", "--seed", "5"]
CLI = [sys.executable, "-m", "pipelines.cli"]


def _python(module: str, *args: str) -> subprocess.CompletedProcess:
    """A Spark step in its own process: an embedded Derby metastore admits one JVM at a time."""
    return subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    data = tmp_path_factory.mktemp("spark") / "data"
    subprocess.run([*CLI, "simulate", *POPULATION, "--out", str(data / "landing")], check=True)
    subprocess.run([*CLI, "run", "--data-dir", str(data)], check=True, capture_output=True)
    settings = load_settings(data)
    dbt = SparkDbt(
        DBT_PROJECT_DIR, data, settings.spark, dbt_vars(settings.kpi, settings.customer_ref_patterns)
    )
    target = data / "dbt-spark"
    dbt.run("parse", target)
    folder = spark_dir(data)
    warehouse = str(settings.warehouse_path)
    # raw: the loads the ledger records, each once; the rest dbt reads is copied as it is
    synced = _python("pipelines.spark.raw_sync", "--warehouse", warehouse, "--spark-dir", str(folder))
    assert synced.returncode == 0, synced.stderr[-4000:]
    others = [table for table in source_tables(target) if not table.startswith("raw.")]
    mirrored = _python(
        "pipelines.spark.mirror", "--warehouse", warehouse, "--spark-dir", str(folder), *others
    )
    assert mirrored.returncode == 0, mirrored.stderr[-4000:]
    dbt.run("build", target)  # the models and their data tests
    models = model_tables(target)
    compared = _python(
        "pipelines.spark.compare", "--warehouse", warehouse, "--spark-dir", str(folder), *models
    )
    return {"settings": settings, "models": models, "compared": compared, "folder": folder, "synced": synced}


def test_every_model_equals_duckdb(built) -> None:
    compared = built["compared"]
    lines = [line for line in compared.stdout.splitlines() if line.startswith(("equal", "DIFFER"))]
    assert compared.returncode == 0, (
        "\n".join(line for line in lines if line.startswith("DIFFER")) or compared.stderr[-4000:]
    )
    # one line per model, each equal: no model left out of the comparison
    assert len(lines) == len(built["models"]) and all(line.startswith("equal ") for line in lines)


def test_the_comparison_saw_data(built) -> None:
    warehouse = built["settings"].warehouse_path
    export = built["folder"] / "compare"
    for table in ("core.fct_order_lines", "core.dim_customer", "marts.customer_360", "marts.kpi_headline"):
        diff = compare_table(warehouse, table, export)
        assert diff.equal and diff.duckdb_rows > 0 and diff.spark_rows == diff.duckdb_rows


def test_metastore_and_warehouse_stay_in_the_data_dir(built) -> None:
    folder: Path = built["folder"]
    assert (folder / "metastore_db").is_dir()
    assert (folder / "warehouse" / "marts.db" / "customer_360").is_dir()


def _sync(built) -> dict[str, dict]:
    warehouse, folder = str(built["settings"].warehouse_path), str(built["folder"])
    done = _python("pipelines.spark.raw_sync", "--warehouse", warehouse, "--spark-dir", folder)
    assert done.returncode == 0, done.stderr[-4000:]
    return {r["feed"]: r for r in map(json.loads, done.stdout.splitlines())}


def _ledger(built) -> dict[str, tuple[int, int]]:
    """feed -> (loads with rows, rows loaded) in the DuckDB ledger."""
    with duckdb.connect(str(built["settings"].warehouse_path), read_only=True) as con:
        rows = con.execute(
            "select feed, count(*), sum(rows_loaded) from audit.load_ledger where rows_loaded > 0 group by 1"
        ).fetchall()
    return {feed: (loads, int(total)) for feed, loads, total in rows}


def test_raw_sync_lands_every_loaded_row_once_and_a_rerun_copies_nothing(built) -> None:
    first = {r["feed"]: r for r in map(json.loads, built["synced"].stdout.splitlines())}
    ledger = _ledger(built)
    assert {
        f: (r["loads_in_spark"], r["rows_copied"]) for f, r in first.items() if r["loads_in_spark"]
    } == ledger
    again = _sync(built)
    assert all(r["loads_copied"] == 0 for r in again.values())


def test_raw_sync_repairs_a_load_a_crash_left_half_written(built) -> None:
    """A partition's files gone (a sync killed while writing it): the next sync copies that load again."""
    table = built["folder"] / "warehouse" / "raw.db" / "pos"
    partition = sorted(table.glob("_load_id=*"))[0]
    for part in partition.glob("*.parquet"):
        part.unlink()
    repaired = _sync(built)
    assert (repaired["pos"]["loads_copied"], repaired["web"]["loads_copied"]) == (1, 0)
    assert any(partition.glob("*.parquet"))
