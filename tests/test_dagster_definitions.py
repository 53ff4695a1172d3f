"""The Dagster code location loads, and the raw assets materialize against a real DuckDB file."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import duckdb

from pipelines.config import load_settings
from pipelines.defs.definitions import all_assets, build_definitions, build_resources
from pipelines.defs.sensors import landing_files_sensor
from sources.feeds import FEEDS
from tests.ingest_helpers import POS_HEADER, pos_line, web_event, write


def test_definitions_load_with_every_feed_asset(tmp_path: Path) -> None:
    defs = build_definitions(load_settings(data_dir=tmp_path))
    keys = defs.resolve_asset_graph().get_all_asset_keys()
    assert {dg.AssetKey(["raw", name]) for name in FEEDS} <= keys
    assert defs.resolve_job_def("crm360_full_build") is not None
    assert defs.resolve_schedule_def("crm360_nightly").cron_schedule == "30 2 * * *"


def test_every_mart_and_report_waits_behind_the_quality_gate(tmp_path: Path) -> None:
    graph = build_definitions(load_settings(data_dir=tmp_path)).resolve_asset_graph()
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
    default = build_resources(load_settings(data_dir=tmp_path, env={}))["dbt"]
    assert default.build_args() == ["--exclude-resource-type", "unit_test"]
    asked = load_settings(data_dir=tmp_path, env={"CRM360_DBT_UNIT_TESTS": "true"})
    assert asked.dbt_unit_tests
    assert build_resources(asked)["dbt"].build_args() == []


def test_code_location_builds_its_definitions_when_loaded(tmp_path: Path, monkeypatch) -> None:
    from pipelines.defs import definitions

    monkeypatch.setenv("CRM360_DATA_DIR", str(tmp_path))
    loaded = definitions.defs()  # what Dagster's code server calls; importing the module built nothing
    assert isinstance(loaded, dg.Definitions)
    assert loaded.resources["warehouse"].path == str(tmp_path / "warehouse" / "crm360.duckdb")


def test_raw_asset_materializes_and_reports_counts(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    write(settings.landing_dir / "pos" / "d1.csv", POS_HEADER + "\n" + pos_line("T1") + "\nT2,1\n")
    result = dg.materialize(
        all_assets(), resources=build_resources(settings), selection=[dg.AssetKey(["raw", "pos"])]
    )
    assert result.success
    [mat] = result.asset_materializations_for_node("raw__pos")
    assert mat.metadata["rows_read"].value == 2
    assert mat.metadata["rows_loaded"].value == 1
    assert mat.metadata["rows_quarantined"].value == 1
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    assert con.execute("SELECT run_id FROM audit.load_ledger").fetchone()[0] == result.run_id
    con.close()


def test_rejected_file_is_named_and_does_not_fail_the_asset(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    write(settings.landing_dir / "pos" / "bad.csv", POS_HEADER + ",sku\n" + pos_line("T1") + ",x\n")
    result = dg.materialize(
        all_assets(),
        resources=build_resources(settings),
        selection=[dg.AssetKey(["raw", "pos"])],
        raise_on_error=False,
    )
    assert result.success  # a rejected file is the file's fault: named, recorded, nothing else stops
    [mat] = result.asset_materializations_for_node("raw__pos")
    assert mat.metadata["files_rejected"].value == 1
    assert "pos/bad.csv: header repeats column(s) sku" in mat.metadata["rejected_files"].value


def test_landing_sensor_requests_only_feeds_with_new_files(tmp_path: Path) -> None:
    # the landing folder comes from the `landing` resource, as for the raw assets; not the environment
    resources = {"landing": build_resources(load_settings(data_dir=tmp_path, env={}))["landing"]}
    write(tmp_path / "landing" / "pos" / "d1.csv", POS_HEADER + "\n")
    ctx = dg.build_sensor_context(cursor=None, resources=resources)
    request = landing_files_sensor(ctx)
    assert request.asset_selection == [dg.AssetKey(["raw", "pos"])]
    cursor = ctx.cursor
    again = landing_files_sensor(dg.build_sensor_context(cursor=cursor, resources=resources))
    assert isinstance(again, dg.SkipReason)
    write(tmp_path / "landing" / "web" / "d1.jsonl", "{}\n")
    ctx3 = dg.build_sensor_context(cursor=cursor, resources=resources)
    third = landing_files_sensor(ctx3)
    assert third.asset_selection == [dg.AssetKey(["raw", "web"])]
    assert "web" in json.loads(ctx3.cursor)


def test_web_asset_pulls_from_the_http_api_on_loopback(tmp_path: Path) -> None:
    from sources.dev.web_api_server import serve

    served = tmp_path / "served"
    events = "\n".join(web_event(f"e{i}") for i in range(12)) + "\n"
    write(served / "events.jsonl", events)
    settings = load_settings(data_dir=tmp_path / "data")
    with serve(served, page_cap=5) as (_server, _thread, url):
        resources = build_resources(settings.with_overrides(web_api_url=url))
        selection = [dg.AssetKey(["raw", "web"])]
        first = dg.materialize(all_assets(), resources=resources, selection=selection)
        second = dg.materialize(all_assets(), resources=resources, selection=selection)
    assert first.success and second.success
    [mat] = first.asset_materializations_for_node("raw__web")
    assert mat.metadata["files_loaded"].value == 3  # 12 events in pages of at most 5
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    assert con.execute("SELECT count(*), count(DISTINCT event_id) FROM raw.web").fetchone() == (12, 12)
    con.close()


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
