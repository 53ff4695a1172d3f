"""CRM360_ENGINE=spark: a run builds every dbt model on local Spark too, equal to its DuckDB build.

A real `crm360 run` with the Spark engine: the pipeline on DuckDB (ingestion, identity, dbt, the
Python marts), then its Spark build (pipelines/spark/leg.py): the ledger's loads synced, the tables
dbt reads but does not build copied through Parquet, `dbt build` on the `spark` target. Each model's
rows in Spark must then equal DuckDB's (pipelines/spark/compare.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.config import DBT_PROJECT_DIR, load_settings
from pipelines.defs.assets.spark import SPARK_KEY
from pipelines.defs.instance import open_instance
from pipelines.defs.spark_resource import SparkResource
from pipelines.spark.compare import compare_table
from pipelines.spark.dbt import data_tests, model_tables
from pipelines.spark.leg import COMPUTED
from pipelines.spark.session import spark_dir
from pipelines.spark.unit_tests import INCREMENTAL_TAG
from quality.pandera_gate import validate_table
from quality.pandera_schemas import SPECS
from tests.privacy_helpers import person_in_several_feeds
from tests.spark_helpers import leave_killed_writes

# The module fixture runs the whole pipeline on DuckDB and then dbt on Spark: more than the per-test limit.
pytestmark = [pytest.mark.spark, pytest.mark.integration, pytest.mark.timeout(2400)]

POPULATION = ["--customers", "300", "--days", "120", "--seed", "5"]
CLI = [sys.executable, "-m", "pipelines.cli"]
IDENTITY_KEY = dg.AssetKey(["core", "customer_identity_map"])
# What DuckDB's in-place erasure keeps and a rebuild from the erased raw rows (Spark's) cannot give:
# that a session was logged in when its account id was erased (docs/privacy.md). Every other column
# of every model must be equal.
KEPT_IN_PLACE = {"core.fct_web_sessions": frozenset({"is_logged_in"})}


def _python(module: str, *args: str) -> subprocess.CompletedProcess:
    """A Spark step in its own process: an embedded Derby metastore admits one JVM at a time."""
    return subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict:
    data = tmp_path_factory.mktemp("spark") / "data"
    subprocess.run([*CLI, "simulate", *POPULATION, "--out", str(data / "landing")], check=True)
    env = {**os.environ, "CRM360_ENGINE": "spark"}
    run = subprocess.run([*CLI, "run", "--data-dir", str(data)], env=env, capture_output=True, text=True)
    assert run.returncode in (0, 3), run.stdout[-4000:] + run.stderr[-4000:]
    settings = load_settings(data)
    folder = spark_dir(data)
    models = model_tables(folder / "dbt-target")
    warehouse = str(settings.warehouse_path)
    compare = ["--warehouse", warehouse, "--spark-dir", str(folder), *models, *COMPUTED]
    compared = _python("pipelines.spark.compare", *compare)
    with open_instance(data) as instance:
        event = instance.get_latest_materialization_event(SPARK_KEY)
    return {
        "settings": settings,
        "models": models,
        "compared": compared,
        "folder": folder,
        "run": run,
        "spark_run": event.run_id if event else None,
    }


def test_the_run_built_on_spark(built) -> None:
    """The run materialized the Spark asset: the models compared are the ones the run built."""
    with open_instance(built["settings"].data_dir) as instance:
        event = instance.get_latest_materialization_event(SPARK_KEY)
    assert event is not None, built["run"].stdout[-3000:]
    metadata = event.asset_materialization.metadata
    assert metadata["models_built"].value == len(built["models"])
    assert metadata["raw_rows_copied"].value == sum(rows for _, rows in _ledger(built).values())


def test_identity_scored_its_pairs_on_spark(built) -> None:
    with open_instance(built["settings"].data_dir) as instance:
        event = instance.get_latest_materialization_event(IDENTITY_KEY)
    metadata = event.asset_materialization.metadata
    assert metadata["splink_engine"].value == "spark" and metadata["splink_links"].value > 0


def test_every_model_equals_duckdb(built) -> None:
    compared = built["compared"]
    lines = [line for line in compared.stdout.splitlines() if line.startswith(("equal", "DIFFER"))]
    assert compared.returncode == 0, (
        "\n".join(line for line in lines if line.startswith("DIFFER")) or compared.stderr[-4000:]
    )
    # one line per model and Python mart computed on Spark, each equal: none left out of the comparison
    assert len(lines) == len(built["models"]) + len(COMPUTED)
    assert all(line.startswith("equal ") for line in lines)


def _figures(built) -> dict:
    with open_instance(built["settings"].data_dir) as instance:
        event = instance.get_latest_materialization_event(SPARK_KEY)
    return event.asset_materialization.metadata["figures"].value


def test_the_pandera_rules_ran_on_spark_with_duckdbs_results(built) -> None:
    """Spark's build ran every pandera rule on its own tables (the gate before its marts), and each
    counted as many failing rows as the same rule on DuckDB."""
    with duckdb.connect(str(built["settings"].warehouse_path), read_only=True) as con:
        duck = {r.check_name: r.failing_rows for t in SPECS for r in validate_table(con, t)}
    assert _figures(built)["check_failing_rows"] == duck and len(duck) >= 14
    assert all(rows is not None for rows in duck.values())


def test_the_python_marts_were_computed_on_spark(built) -> None:
    """CLV, campaign lift and the forecast ran on Spark's tables, none copied from DuckDB (their
    equality is test_every_model_equals_duckdb's); CLV priced as many customers per model as DuckDB."""
    figures = _figures(built)
    assert figures["computed_on_spark"] == sorted(COMPUTED) and "marts.customer_clv" in COMPUTED
    assert not set(COMPUTED) & set(figures["copied"])
    with duckdb.connect(str(built["settings"].warehouse_path), read_only=True) as con:
        models = dict(con.execute("select clv_model, count(*) from marts.customer_clv group by 1").fetchall())
    assert figures["clv"]["clv_models"] == models and sum(models.values()) > 0
    steps = {"dbt_core", "checks_core", "clv", "dbt_marts", "python_marts", "checks_marts"}
    assert steps <= set(figures["seconds"])


def test_the_two_dbt_phases_ran_every_data_test_once(built) -> None:
    """dbt's build is split around the gate (core, then marts): together the phases ran each data test of
    the manifest once, and none failed."""
    phases = _figures(built)["dbt_tests"]
    ran = sum(sum(counts.values()) for counts in phases.values())
    assert set(phases) == {"core", "marts"} and all(phases.values())
    assert ran == len(data_tests(built["folder"] / "dbt-target"))
    assert not {"fail", "error", "skipped"} & {status for counts in phases.values() for status in counts}


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


def test_dbt_unit_tests_pass_on_spark(built) -> None:
    """Every unit test but the incremental branch's (Spark rebuilds those models whole) passes on the
    Spark target, with the same fixtures and expectations as on DuckDB."""
    target = built["folder"] / "dbt-target-unit"
    data = str(built["settings"].data_dir)
    done = _python("pipelines.spark.unit_tests", "--project-dir", str(DBT_PROJECT_DIR), "--data-dir", data)
    assert done.returncode == 0, done.stdout[-6000:]
    results = json.loads((target / "run_results.json").read_text())["results"]
    tests = json.loads((target / "manifest.json").read_text())["unit_tests"].values()
    expected = {t["unique_id"] for t in tests if INCREMENTAL_TAG not in t["config"]["tags"]}
    assert {r["unique_id"] for r in results} == expected and len(expected) >= 60
    assert all(r["status"] == "pass" for r in results)


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


def _spark_rows(built) -> dict[str, int]:
    """feed -> rows in the Parquet files of Spark's raw table, counted by DuckDB (not by the sync)."""
    raw = built["folder"] / "warehouse" / "raw.db"
    with duckdb.connect() as con:
        return {
            table.name: con.execute(f"select count(*) from read_parquet('{table}/*/*.parquet')").fetchone()[0]
            for table in raw.iterdir()
            if any(table.glob("*/*.parquet"))
        }


def test_raw_sync_lands_every_loaded_row_once_and_a_rerun_copies_nothing(built) -> None:
    again = _sync(built)
    assert all(r["loads_copied"] == 0 for r in again.values())
    # every load of the ledger is in Spark, with the ledger's rows (counted in Spark's files)
    rows = _spark_rows(built)
    in_spark = {f: (r["loads_in_spark"], rows[f]) for f, r in again.items() if r["loads_in_spark"]}
    assert in_spark == _ledger(built)


def test_raw_sync_repairs_a_load_a_crash_left_half_written(built) -> None:
    """A partition's files gone (a sync killed while writing it): the next sync copies that load again."""
    table = built["folder"] / "warehouse" / "raw.db" / "pos"
    partition = sorted(table.glob("_load_id=*"))[0]
    for part in partition.glob("*.parquet"):
        part.unlink()
    repaired = _sync(built)
    assert (repaired["pos"]["loads_copied"], repaired["web"]["loads_copied"]) == (1, 0)
    assert any(partition.glob("*.parquet"))


def _spark_raw_holding(built, needles: list[str]) -> int:
    """Rows of Spark's raw Parquet files whose text holds one of `needles` (case-insensitive)."""
    return _holding(built["folder"] / "warehouse" / "raw.db", needles)


def _spark_tables_holding(built, needles: list[str]) -> int:
    """Rows of the tables dbt built on Spark (every schema but raw) holding one of `needles`."""
    schemas = [s for s in (built["folder"] / "warehouse").glob("*.db") if s.name != "raw.db"]
    return sum(_holding(schema, needles) for schema in schemas)


def _holding(raw: Path, needles: list[str]) -> int:
    """Rows of the Parquet tables in the schema folder `raw` whose text holds one of `needles`."""
    cond = " OR ".join("contains(lower(t::varchar), ?)" for _ in needles)
    with duckdb.connect() as con:
        return sum(
            con.execute(
                f"select count(*) from read_parquet('{table}/**/*.parquet') t where {cond}",
                [n.lower() for n in needles],
            ).fetchone()[0]
            for table in raw.iterdir()
            if any(table.glob("**/*.parquet"))
        )


KILLED_MID_BUILD = ["core.dim_customer", "marts.customer_360"]


def test_a_dbt_build_killed_mid_table_does_not_stop_the_next(built) -> None:
    """dbt-spark replaces a Parquet table by dropping it and creating it again; a build killed between
    the two leaves the table's files without the table. The next Spark build replaces them (Spark
    alone refuses: LOCATION_ALREADY_EXISTS) and the tables equal DuckDB's again."""
    folder, settings = built["folder"], built["settings"]
    leave_killed_writes(folder, KILLED_MID_BUILD)
    build = SparkResource.from_settings(settings).build()
    assert sorted(build.cleared) == sorted(KILLED_MID_BUILD)
    compare = ["--warehouse", str(settings.warehouse_path), "--spark-dir", str(folder), *KILLED_MID_BUILD]
    compared = _python("pipelines.spark.compare", *compare)
    assert compared.returncode == 0, compared.stdout[-3000:] + compared.stderr[-3000:]


def test_web_events_built_in_buckets_on_spark_keep_every_event(built) -> None:
    """Past 5M web events the model is built per browser bucket; Spark's signed hash() left half the
    browsers in none (300k customers: 9.7M of 15.6M events). In 7 buckets it must equal DuckDB's."""
    dbt = SparkResource.from_settings(built["settings"]).dbt()
    bucketed = replace(dbt, vars={**dbt.vars, "web_event_buckets": 7})
    bucketed.run("run", built["folder"] / "dbt-target-buckets", ["fct_web_events"])
    compare = ["--warehouse", str(built["settings"].warehouse_path), "--spark-dir", str(built["folder"])]
    compared = _python("pipelines.spark.compare", *compare, "core.fct_web_events")
    assert compared.returncode == 0, compared.stdout[-3000:] + compared.stderr[-3000:]


def test_an_erasure_reaches_spark_at_the_next_run(built) -> None:
    """crm360 erase clears the person's raw rows in place (same counts) and forgets the last build, so the
    next run builds even though no file landed: its sync copies those loads again, and Spark's rebuild
    equals the erased DuckDB warehouse but for what only an in-place erasure keeps (KEPT_IN_PLACE).
    Last: it changes the module's data."""
    settings = built["settings"]
    _, email, emails, phones = person_in_several_feeds(settings.warehouse_path)
    needles = [*emails, *phones]
    assert _spark_raw_holding(built, needles) > 0
    command = [*CLI, "erase", "--email", email, "--data-dir", str(settings.data_dir)]
    erased = subprocess.run(command, capture_output=True, text=True)
    assert erased.returncode == 0, erased.stderr[-3000:]
    env = {**os.environ, "CRM360_ENGINE": "spark"}
    run = [*CLI, "run", "--data-dir", str(settings.data_dir)]
    rerun = subprocess.run(run, env=env, capture_output=True, text=True)
    assert rerun.returncode in (0, 3), rerun.stdout[-4000:] + rerun.stderr[-4000:]
    with open_instance(settings.data_dir) as instance:
        event = instance.get_latest_materialization_event(SPARK_KEY)
    assert event.run_id != built["spark_run"], "the run after the erasure did not build on Spark"
    assert event.asset_materialization.metadata["raw_loads_copied"].value > 0
    assert _spark_raw_holding(built, needles) == 0
    assert _spark_tables_holding(built, needles) == 0
    compare = ["--warehouse", str(settings.warehouse_path), "--spark-dir", str(built["folder"])]
    compared = _python("pipelines.spark.compare", *compare, *built["models"], *COMPUTED)
    differ = {line.split()[1] for line in compared.stdout.splitlines() if line.startswith("DIFFER")}
    assert compared.returncode in (0, 1) and differ <= set(KEPT_IN_PLACE), compared.stdout[-4000:]
    for table, columns in KEPT_IN_PLACE.items():
        diff = compare_table(settings.warehouse_path, table, built["folder"] / "compare", columns)
        assert diff.equal, diff
    assert all(r["loads_copied"] == 0 for r in _sync(built).values())  # and only once
