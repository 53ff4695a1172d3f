"""The Dagster code location loads and validates: built from settings on a temporary folder, as the
workspace module, and through `dagster definitions validate` (in-process runs: test_defs_materialize.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import dagster as dg
import pytest

from pipelines.config import load_settings
from pipelines.defs.definitions import build_definitions
from pipelines.defs.run_lock import run_lock
from pipelines.defs.sensors import landing_files_sensor
from sources.feeds import FEEDS
from tests.ingest_helpers import POS_HEADER, write


def test_definitions_from_settings_validate_and_use_only_those_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # env={}: what the developer's shell sets does not reach definitions built from explicit settings
    monkeypatch.setenv("CRM360_WAREHOUSE", str(tmp_path / "elsewhere.duckdb"))
    settings = load_settings(tmp_path / "data", env={})
    defs = build_definitions(settings)
    dg.Definitions.validate_loadable(defs)  # every resource an asset or check asks for is there
    graph = defs.resolve_asset_graph()
    assert len(graph.get_all_asset_keys()) >= 70 and len(graph.asset_check_keys) >= 500
    assert set(defs.resources) == {
        "build",
        "dbt",
        "identity",
        "kpi",
        "landing",
        "quality",
        "serving",
        "warehouse",
    }
    assert defs.resources["serving"].dir == str(tmp_path / "data" / "serving")
    assert defs.resources["warehouse"].path == str(tmp_path / "data" / "warehouse" / "crm360.duckdb")
    assert defs.resources["landing"].landing_dir == str(tmp_path / "data" / "landing")
    assert defs.resources["quality"].reports_dir == str(settings.reports_dir)


def test_definitions_load_with_every_feed_asset(tmp_path: Path) -> None:
    defs = build_definitions(load_settings(tmp_path, env={}))
    keys = defs.resolve_asset_graph().get_all_asset_keys()
    assert {dg.AssetKey(["raw", name]) for name in FEEDS} <= keys
    assert defs.resolve_job_def("crm360_full_build") is not None
    assert defs.resolve_schedule_def("crm360_nightly").cron_schedule == "30 2 * * *"


def test_every_mart_and_report_waits_behind_the_quality_gate(tmp_path: Path) -> None:
    graph = build_definitions(load_settings(tmp_path, env={})).resolve_asset_graph()
    gate = dg.AssetKey(["core", "quality_gate"])
    core = {k for k in graph.get_all_asset_keys() if k.path[0] == "core" and k != gate}
    # the gate waits for every core table (and so for their blocking checks) ...
    assert core <= set(graph.get(gate).parent_keys)
    downstream = [k for k in graph.get_all_asset_keys() if k.path[0] in ("marts", "reports")]
    assert len(downstream) >= 30  # customer_360, the KPI marts, the Python marts, the dashboard
    for key in downstream:
        # ... and every mart and report has it as a direct parent (dbt translator, Python assets)
        assert gate in graph.get(key).parent_keys, key


def test_dbt_builds_leave_unit_tests_to_ci_unless_asked(tmp_path: Path) -> None:
    default = build_definitions(load_settings(tmp_path, env={})).resources["dbt"]
    assert default.build_args() == ["--exclude-resource-type", "unit_test"]
    asked = load_settings(data_dir=tmp_path, env={"CRM360_DBT_UNIT_TESTS": "true"})
    assert asked.dbt_unit_tests
    assert build_definitions(asked).resources["dbt"].build_args() == []


def test_code_location_builds_its_definitions_when_loaded(tmp_path: Path, monkeypatch) -> None:
    from pipelines.defs import definitions

    monkeypatch.setenv("CRM360_DATA_DIR", str(tmp_path))
    loaded = definitions.defs()  # what Dagster's code server calls; importing the module built nothing
    assert isinstance(loaded, dg.Definitions)
    assert loaded.resources["warehouse"].path == str(tmp_path / "warehouse" / "crm360.duckdb")


def test_landing_sensor_requests_one_run_for_the_days_and_feeds_with_new_files(tmp_path: Path) -> None:
    # the landing folder comes from the `landing` resource, as for the raw assets; not the environment
    defs = build_definitions(load_settings(data_dir=tmp_path, env={}))
    resources = {"landing": defs.resources["landing"], "build": defs.resources["build"]}
    write(tmp_path / "landing" / "pos" / "pos_2025-03-02.csv", POS_HEADER + "\n")
    write(tmp_path / "landing" / "pos" / "pos_2025-03-04.csv", POS_HEADER + "\n")
    write(tmp_path / "landing" / "lists" / "compiled" / "acme_L01_2025-03-03.csv", "a\n")
    ctx = dg.build_sensor_context(cursor=None, resources=resources, definitions=defs)
    request = landing_files_sensor(ctx)
    # one range covering the new files' days, for the event feed that got them ...
    assert request.partition_key_range == dg.PartitionKeyRange("2025-03-02", "2025-03-04")
    chosen = set(request.asset_selection)
    assert {dg.AssetKey(["raw", "pos"]), dg.AssetKey(["raw", "compiled_list"])} <= chosen
    # ... with the whole build, not only the raw group: every feed comes along (dbt reads every staging
    # model, whose raw table the feed's load creates; a feed without files of those days loads nothing)
    assert {dg.AssetKey(["raw", f]) for f in ("web", "callcenter", "response_list")} <= chosen
    assert {dg.AssetKey(["core", "quality_gate"]), dg.AssetKey(["marts", "customer_360"])} <= chosen
    assert dg.AssetKey(["staging", "stg_web__events"]) in chosen
    assert dg.AssetCheckKey(dg.AssetKey(["raw", "web"]), "source_freshness") in request.asset_check_keys
    assert request.job_name in (None, "crm360_full_build")
    # evaluated again on the same files (the cursor not saved yet): the same run_key, so no second run
    assert landing_files_sensor(dg.build_sensor_context(resources=resources, definitions=defs)).run_key == (
        request.run_key
    )
    cursor = ctx.cursor
    again = landing_files_sensor(
        dg.build_sensor_context(cursor=cursor, resources=resources, definitions=defs)
    )
    assert isinstance(again, dg.SkipReason)
    write(tmp_path / "landing" / "web" / "web_2025-03-05.jsonl", "{}\n")
    ctx3 = dg.build_sensor_context(cursor=cursor, resources=resources, definitions=defs)
    third = landing_files_sensor(ctx3)
    assert third.partition_key_range == dg.PartitionKeyRange("2025-03-05", "2025-03-05")
    assert dg.AssetKey(["raw", "web"]) in third.asset_selection
    assert third.run_key != request.run_key and "web" in json.loads(ctx3.cursor)
    # while a `crm360 run` holds the data directory the sensor waits, and its cursor stays
    write(tmp_path / "landing" / "web" / "web_2025-03-06.jsonl", "{}\n")
    with run_lock(tmp_path):
        held = landing_files_sensor(
            dg.build_sensor_context(cursor=ctx3.cursor, resources=resources, definitions=defs)
        )
    assert isinstance(held, dg.SkipReason) and f"process {os.getpid()}" in (held.skip_message or "")
    after = landing_files_sensor(
        dg.build_sensor_context(cursor=ctx3.cursor, resources=resources, definitions=defs)
    )
    assert after.partition_key_range == dg.PartitionKeyRange("2025-03-06", "2025-03-06")


def test_the_serving_copy_waits_for_every_core_marts_and_restricted_asset(tmp_path: Path) -> None:
    graph = build_definitions(load_settings(tmp_path, env={})).resolve_asset_graph()
    served = {k for k in graph.get_all_asset_keys() if k.path[0] in ("core", "marts", "restricted")}
    assert len(served) >= 50
    assert set(graph.get(dg.AssetKey(["serving", "crm360"])).parent_keys) == served


def test_workspace_yaml_validates_with_the_dagster_cli() -> None:
    import subprocess
    import sys

    from pipelines.config import REPO_ROOT

    dagster = Path(sys.executable).parent / "dagster"
    proc = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "All code locations passed validation" in proc.stdout + proc.stderr


def test_every_job_runs_in_one_process_with_one_resident_dbt(tmp_path: Path) -> None:
    """The launched job and the sensor's implicit asset jobs run their steps in one process, whose
    dbt steps share one resident dbt process; CRM360_DBT_RESIDENT=false goes back to `dbt` per step."""
    defs = build_definitions(load_settings(tmp_path, env={}))
    assert defs.resolve_job_def("crm360_full_build").executor_def.name == "in_process"
    assert defs.resolve_implicit_global_asset_job_def().executor_def.name == "in_process"
    dbt = defs.resources["dbt"]
    assert dbt.resident and Path(dbt.dbt_executable).name == "dbt" and "dbt_worker" in dbt.dbt_executable
    plain = build_definitions(load_settings(tmp_path, env={"CRM360_DBT_RESIDENT": "false"})).resources["dbt"]
    assert not plain.resident and "dbt_worker" not in plain.dbt_executable
