"""CRM360_ENGINE=spark: a run builds every dbt model on local Spark too, equal to its DuckDB build.

A real `crm360 run` with the Spark engine: the pipeline on DuckDB (ingestion, identity, dbt, the
Python marts), then its Spark build (pipelines/spark/leg.py): the ledger's loads synced, the tables
dbt reads but does not build copied through Parquet, `dbt build` on the `spark` target. Each model's
rows in Spark must then equal DuckDB's (pipelines/spark/compare.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster import DagsterEventType

from pipelines.config import DBT_PROJECT_DIR
from pipelines.defs.assets.spark import SPARK_KEY
from pipelines.defs.checks.spark import STAGE_CHECKS
from pipelines.defs.instance import open_instance
from pipelines.spark.compare import compare_table
from pipelines.spark.dbt import data_tests
from pipelines.spark.leg import COMPUTED
from pipelines.spark.unit_tests import INCREMENTAL_TAG
from quality.pandera_gate import validate_table
from quality.pandera_schemas import SPECS
from tests.spark_helpers import run_step
from tests.spark_run_fixtures import ledger_loads

# The session fixture runs the whole pipeline on DuckDB and then on Spark: more than the per-test limit.
pytestmark = [pytest.mark.spark, pytest.mark.integration, pytest.mark.timeout(2400)]

IDENTITY_KEY = dg.AssetKey(["core", "customer_identity_map"])


@pytest.fixture
def built(spark_run: dict) -> dict:
    return spark_run


def test_the_run_built_on_spark(built) -> None:
    """The run materialized the Spark asset: the models compared are the ones the run built."""
    with open_instance(built["settings"].data_dir) as instance:
        event = instance.get_latest_materialization_event(SPARK_KEY)
    assert event is not None, built["run"].stdout[-3000:]
    metadata = event.asset_materialization.metadata
    assert metadata["models_built"].value == len(built["models"])
    assert metadata["raw_rows_copied"].value == sum(rows for _, rows in ledger_loads(built).values())


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


def test_the_checks_are_recorded_in_sparks_audit_table(built) -> None:
    """Each stage's pandera results and dbt data tests, under the Dagster run's id."""
    figures, run = _figures(built), built["spark_run"]
    files = built["folder"] / "warehouse" / "audit.db" / "check_results" / f"run_id={run}" / "*" / "*.parquet"
    kind = "json_extract_string(sample, '$.unique_id') like 'test.%'"  # a dbt data test, not a unit test
    sql = f"select stage, count(*) filter (check_name like 'pandera:%'), count(*) filter ({kind}) from "
    with duckdb.connect() as con:
        rows = con.execute(f"{sql} read_parquet('{files}', hive_partitioning = true) group by 1").fetchall()
    recorded = {stage: (pandera, tests) for stage, pandera, tests in rows}
    assert figures["run_id"] == run and set(recorded) == {"core", "marts"}
    assert sum(pandera for pandera, _ in recorded.values()) == figures["checks_run"]
    assert {stage: tests for stage, (_, tests) in recorded.items()} == {
        stage: sum(counts.values()) for stage, counts in figures["dbt_tests"].items()
    }


def test_each_stage_of_sparks_checks_is_a_dagster_check_of_the_run(built) -> None:
    figures, kind = _figures(built), DagsterEventType.ASSET_CHECK_EVALUATION
    with open_instance(built["settings"].data_dir) as instance:
        records = instance.get_records_for_run(run_id=built["spark_run"], of_type=kind).records
    checks = [r.event_log_entry.dagster_event.event_specific_data for r in records]
    stages = {c.check_name: c for c in checks if c.asset_key == SPARK_KEY}
    assert set(stages) == set(STAGE_CHECKS.values())
    rules = {name for c in stages.values() for name in c.metadata if name.startswith("pandera:")}
    assert rules == set(figures["check_failing_rows"])
    failed = [name for c in stages.values() for name in c.metadata["failed_rules"].value]
    assert sorted(failed) == sorted(figures["checks_failed"])


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
    done = run_step(
        "pipelines.spark.unit_tests", "--project-dir", str(DBT_PROJECT_DIR), "--data-dir", data, ok=(0, 1)
    )
    assert done.returncode == 0, done.stdout[-6000:]
    results = json.loads((target / "run_results.json").read_text())["results"]
    tests = json.loads((target / "manifest.json").read_text())["unit_tests"].values()
    expected = {t["unique_id"] for t in tests if INCREMENTAL_TAG not in t["config"]["tags"]}
    assert {r["unique_id"] for r in results} == expected and len(expected) >= 60
    assert all(r["status"] == "pass" for r in results)
