"""CRM360_ENGINE: the setting, what it adds to the Dagster job and the Spark build's step commands."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.events import StepMaterializationData

from pipelines.bench.pipeline import materialized_figures
from pipelines.bench.stages import stage_of
from pipelines.config import load_settings
from pipelines.defs.assets.spark import SPARK_KEY, build_spark_asset
from pipelines.defs.checks.spark import STAGE_CHECKS, spark_check_results
from pipelines.defs.definitions import all_assets, build_definitions
from pipelines.defs.resources import IdentityResource
from pipelines.defs.spark_resource import SparkResource
from pipelines.spark.identity_predict import clear_work, predict_command
from pipelines.spark.leg import SparkBuild, SparkChecksFailed, step_command
from pipelines.spark.session import add_session_options, session_args, settings_of
from pipelines.spark.settings import SparkSettings
from quality.results import ERROR, WARN, CheckResult


def test_engine_defaults_to_duckdb_and_refuses_an_unknown_one(tmp_path: Path) -> None:
    assert load_settings(tmp_path, env={}).engine == "duckdb"
    assert load_settings(tmp_path, env={"CRM360_ENGINE": " Spark "}).engine == "spark"
    with pytest.raises(ValueError, match="CRM360_ENGINE must be one of duckdb, spark, not 'postgres'"):
        load_settings(tmp_path, env={"CRM360_ENGINE": "postgres"})


def _keys(assets: list[dg.AssetsDefinition]) -> set[dg.AssetKey]:
    return {key for asset in assets for key in asset.keys}


def test_the_spark_engine_adds_one_asset_after_every_other(tmp_path: Path) -> None:
    duck = all_assets(load_settings(tmp_path, env={}))
    spark = all_assets(load_settings(tmp_path, env={"CRM360_ENGINE": "spark"}))
    assert SPARK_KEY not in _keys(duck)
    assert _keys(spark) == _keys(duck) | {SPARK_KEY}
    asset = next(a for a in spark if SPARK_KEY in a.keys)
    upstream = set(asset.asset_deps[SPARK_KEY])
    serving = dg.AssetKey(["serving", "crm360"])
    # it reads the whole DuckDB build: every asset but the serving copy (which it does not read)
    assert upstream == _keys(duck) - {serving}


def test_spark_definitions_load_with_the_data_dirs_spark_resource(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, env={"CRM360_ENGINE": "spark", "CRM360_SPARK_MASTER": "local[2]"})
    defs = build_definitions(settings)
    dg.Definitions.validate_loadable(defs)
    resource = defs.resources["spark"]
    assert (resource.data_dir, resource.master) == (str(tmp_path), "local[2]")
    assert resource.dbt().data_dir == tmp_path
    assert "spark" not in build_definitions(load_settings(tmp_path, env={})).resources


def test_a_steps_options_carry_the_settings() -> None:
    given = SparkSettings(master="local[3]", driver_memory="5g", shuffle_partitions=16)
    parser = argparse.ArgumentParser()
    add_session_options(parser)
    assert settings_of(parser.parse_args(session_args(given))) == given
    assert settings_of(parser.parse_args([])) == SparkSettings()


def test_step_commands_name_the_warehouse_folder_and_settings(tmp_path: Path) -> None:
    command = step_command("mirror", tmp_path / "w.duckdb", tmp_path / "spark", SparkSettings(), "core.a")
    assert command[1:3] == ["-m", "pipelines.spark.mirror"]
    assert command[command.index("--warehouse") + 1] == str(tmp_path / "w.duckdb")
    assert command[command.index("--spark-dir") + 1] == str(tmp_path / "spark")
    assert command[-1] == "core.a" and "--shuffle-partitions" in command


def test_build_figures_add_up() -> None:
    build = SparkBuild(
        seconds={"parse": 1.0, "raw_sync": 2.5, "dbt_build": 10.0},
        raw=[
            {"feed": "pos", "loads_copied": 2, "rows_copied": 30},
            {"feed": "web", "loads_copied": 0, "rows_copied": 0},
        ],
        copied=["core.customer_identity_map"],
        models=["core.a", "marts.b"],
    )
    figures = build.figures()
    assert (figures["total_seconds"], figures["raw_loads_copied"], figures["raw_rows_copied"]) == (
        13.5,
        2,
        30,
    )
    assert (figures["tables_copied"], figures["models_built"]) == (1, 2)
    assert "tables_differ" not in figures


def test_the_benchmark_times_the_spark_step_and_reads_its_figures() -> None:
    assert stage_of("spark__warehouse") == "spark"
    figures = {"seconds": {"dbt_build": 3.0}}
    event = dg.DagsterEvent(
        event_type_value=dg.DagsterEventType.ASSET_MATERIALIZATION.value,
        job_name="j",
        event_specific_data=StepMaterializationData(
            dg.AssetMaterialization(SPARK_KEY, metadata={"figures": dg.MetadataValue.json(figures)})
        ),
    )
    record = dg.EventLogEntry(
        error_info=None, level=20, user_message="", run_id="r", timestamp=0.0, dagster_event=event
    )
    assert materialized_figures([record], SPARK_KEY) == figures
    assert materialized_figures([record], dg.AssetKey(["other"])) is None


def test_identity_scores_on_spark_only_with_the_spark_engine(tmp_path: Path) -> None:
    duck = IdentityResource.from_settings(load_settings(tmp_path, env={}))
    assert duck.spark_json == "" and duck.predictor() is None
    spark = IdentityResource.from_settings(load_settings(tmp_path, env={"CRM360_ENGINE": "spark"}))
    assert json.loads(spark.spark_json)["work"] == str(tmp_path / "spark" / "identity")
    assert callable(spark.predictor())
    assert spark.settings() == duck.settings()  # the engine changes where, not how, pairs are scored


def test_the_prediction_step_gets_the_threshold_and_every_column(tmp_path: Path) -> None:
    command = predict_command(tmp_path, SparkSettings(master="local[2]"), 0.05)
    assert command[1:3] == ["-m", "pipelines.spark.identity"]
    assert command[command.index("--threshold") + 1] == "0.05" and "--all-columns" in command
    assert command[command.index("--master") + 1] == "local[2]"
    assert command[command.index("--spark-dir") + 1] == str(tmp_path / "session")


def test_the_prediction_steps_files_of_personal_data_are_cleared(tmp_path: Path) -> None:
    for name in ("reps.parquet", "model.json", "pairs/part-0.parquet", "session/checkpoints/x/y"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("Jane Doe 1980-02-03")
    (tmp_path / "session" / "metastore_db").mkdir()
    clear_work(tmp_path)
    left = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*"))
    assert left == ["session", "session/metastore_db"]


def test_the_spark_engine_names_what_this_machine_lacks(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipelines.spark import java_home

    monkeypatch.setattr(java_home.shutil, "which", lambda name: None)
    monkeypatch.setattr(java_home, "_absent", lambda module: False)
    assert java_home.spark_missing() == java_home.MISSING
    monkeypatch.setattr(java_home, "_absent", lambda module: module == "pyspark")
    assert "needs pyspark, which are not installed: pip install '.[spark]'" in java_home.spark_missing()


def test_a_spark_run_on_a_machine_without_spark_is_refused_before_it_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipelines.defs import runner

    (tmp_path / "landing").mkdir()
    monkeypatch.setattr(runner, "spark_missing", lambda: "no Java here")
    settings = load_settings(tmp_path, env={"CRM360_ENGINE": "spark"})
    with pytest.raises(runner.EngineUnavailable, match="no Java here"):
        runner.run_pipeline(settings)
    assert not (tmp_path / "dagster").exists() and not settings.warehouse_path.exists()


def _result(name: str, stage: str, severity: str, passed: bool, rows: int | None) -> dict:
    """A pandera result as the Spark build keeps it (pipelines/spark/gates.py's JSON, and its stage)."""
    asset = "core.fct_returns" if stage == "core" else "marts.customer_360"
    return {**asdict(CheckResult(name, asset, severity, passed, rows, '{"rows": []}')), "stage": stage}


def test_each_stage_of_the_spark_checks_is_one_dagster_check() -> None:
    checks = [
        _result("pandera:fct_returns:quantity_positive", "core", ERROR, False, 3),
        _result("pandera:fct_returns:refund_non_negative", "core", WARN, True, 0),
        _result("pandera:customer_360:exists", "marts", ERROR, True, 0),
    ]
    results = {r.check_name: r for r in spark_check_results(checks)}
    assert set(results) == set(STAGE_CHECKS.values())
    gate, marts = results[STAGE_CHECKS["core"]], results[STAGE_CHECKS["marts"]]
    assert not gate.passed and gate.severity == dg.AssetCheckSeverity.ERROR
    assert gate.metadata["pandera:fct_returns:quantity_positive"].value == 3
    assert gate.metadata["failed_rules"].value == ["pandera:fct_returns:quantity_positive"]
    assert marts.passed and list(marts.metadata)[0] == "pandera:customer_360:exists"
    # the gate closed: the marts' stage did not run and has no result
    assert [r.check_name for r in spark_check_results(checks[:2])] == [STAGE_CHECKS["core"]]


def test_the_spark_asset_declares_a_check_per_stage(tmp_path: Path) -> None:
    assets = all_assets(load_settings(tmp_path, env={"CRM360_ENGINE": "spark"}))
    asset = next(a for a in assets if SPARK_KEY in a.keys)
    assert set(asset.check_keys) == {dg.AssetCheckKey(SPARK_KEY, name) for name in STAGE_CHECKS.values()}


class _ClosedGate(SparkResource):
    """The Spark build as it ends when an error rule fails on Spark's core tables."""

    def build(self, run_id: str | None = None) -> SparkBuild:
        checks = [_result("pandera:fct_returns:quantity_positive", "core", ERROR, False, 3)]
        raise SparkChecksFailed("core", checks, checks)


def test_a_closed_gate_on_spark_is_a_failed_dagster_check_and_a_failed_asset(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, env={"CRM360_ENGINE": "spark"})
    asset = build_spark_asset([dg.AssetKey(["core", "fct_returns"])])
    resources = {"spark": _ClosedGate(**SparkResource.from_settings(settings).model_dump())}
    result = dg.materialize([asset], resources=resources, raise_on_error=False)
    assert not result.success and not result.get_asset_materialization_events()
    (evaluation,) = result.get_asset_check_evaluations()
    assert (evaluation.check_name, evaluation.passed) == (STAGE_CHECKS["core"], False)
    assert evaluation.metadata["pandera:fct_returns:quantity_positive"].value == 3
