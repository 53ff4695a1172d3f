"""One persistent Dagster instance per data directory: its config, runs killed mid-run, and the UI's view."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import dagster as dg
import pytest

from pipelines.config import REPO_ROOT, load_settings
from pipelines.defs.instance import (
    INSTANCE_YAML,
    TAG_HOST,
    TAG_LAUNCHER,
    TAG_PID,
    cli_run_tags,
    instance_yaml,
    open_instance,
    prepare_home,
    release_dead_runs,
)
from pipelines.defs.resources import WAREHOUSE_POOL
from pipelines.defs.runner import run_pipeline
from tests.ingest_helpers import POS_HEADER, pos_line, write

BIN = Path(sys.executable).parent


def test_home_is_written_once_and_an_operators_config_is_kept(tmp_path: Path) -> None:
    home = prepare_home(tmp_path)
    assert home == tmp_path / "dagster"
    ours = instance_yaml(home)
    assert (home / "dagster.yaml").read_text() == ours and ours.startswith(INSTANCE_YAML[:40])
    (home / "dagster.yaml").write_text(ours.replace("default_limit: 1", "default_limit: 3"))
    prepare_home(tmp_path)  # crm360's own file, edited: rewritten
    assert (home / "dagster.yaml").read_text() == ours
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    prepare_home(tmp_path)  # someone else's file: left alone
    assert (home / "dagster.yaml").read_text() == "telemetry:\n  enabled: false\n"


def test_the_warehouse_pool_has_one_slot(tmp_path: Path) -> None:
    with open_instance(tmp_path) as instance:
        config = instance.get_concurrency_config().pool_config
        assert config.default_pool_limit == 1
        storage = instance.event_log_storage
        assert storage.supports_global_concurrency_limits
        storage.initialize_concurrency_limit_to_default(WAREHOUSE_POOL)
        assert storage.get_concurrency_info(WAREHOUSE_POOL).slot_count == 1


def _started_run(instance: dg.DagsterInstance, tags: dict[str, str]) -> str:
    run = instance.create_run_for_job(dg.GraphDefinition(name="g").to_job(), tags=tags)
    instance.handle_run_event(
        run.run_id,
        dg.DagsterEvent(dg.DagsterEventType.RUN_START.value, job_name=run.job_name, message="started"),
    )
    return run.run_id


def _claim(instance: dg.DagsterInstance, run_id: str) -> bool:
    instance.event_log_storage.initialize_concurrency_limit_to_default(WAREHOUSE_POOL)
    return instance.event_log_storage.claim_concurrency_slot(WAREHOUSE_POOL, run_id, "raw__pos").is_claimed


def test_a_killed_cli_run_is_failed_and_frees_its_pool_slot(tmp_path: Path) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    with open_instance(tmp_path) as instance:
        killed = _started_run(instance, {**cli_run_tags(), TAG_PID: dead.stdout.strip()})
        alive = _started_run(instance, cli_run_tags())  # this process: still running
        ui_run = _started_run(instance, {TAG_LAUNCHER: "ui", TAG_HOST: "elsewhere", TAG_PID: "1"})
        assert _claim(instance, killed)
        assert not _claim(instance, alive)  # one slot: the killed run holds it
        assert release_dead_runs(instance) == [killed]
        assert instance.get_run_by_id(killed).status == dg.DagsterRunStatus.FAILURE
        assert instance.get_run_by_id(alive).status == dg.DagsterRunStatus.STARTED
        assert instance.get_run_by_id(ui_run).status == dg.DagsterRunStatus.STARTED
        assert killed not in instance.event_log_storage.get_concurrency_run_ids()
        assert _claim(instance, alive)  # the slot is free again
        assert release_dead_runs(instance) == []


def _landing_with_one_pos_file(data: Path) -> None:
    write(data / "landing" / "pos" / "d1.csv", POS_HEADER + "\n" + pos_line("T1") + "\n")


@pytest.mark.integration
def test_a_run_killed_mid_run_does_not_block_the_next(tmp_path: Path) -> None:
    """kill -9 a `crm360 run` while it holds the warehouse slot; the next run releases it and builds."""
    _landing_with_one_pos_file(tmp_path)
    env = {**os.environ, "CRM360_DATA_DIR": str(tmp_path)}
    proc = subprocess.Popen([str(BIN / "crm360"), "run", "--select", "group:raw"], env=env, cwd=tmp_path)
    deadline = time.time() + 240
    with open_instance(tmp_path) as instance:
        while time.time() < deadline and not instance.event_log_storage.get_concurrency_run_ids():
            time.sleep(0.2)
        assert instance.event_log_storage.get_concurrency_run_ids(), "the run never claimed its pool slot"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    summary = run_pipeline(load_settings(data_dir=tmp_path, env={}), selection="group:raw")
    assert summary.success
    with open_instance(tmp_path) as instance:
        statuses = sorted(r.status.value for r in instance.get_runs())
    assert statuses == ["FAILURE", "SUCCESS"]


def _graphql(url: str, query: str) -> dict:
    request = urllib.request.Request(
        f"{url}/graphql", json.dumps({"query": query}).encode(), {"content-type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["data"]


@pytest.mark.integration
def test_the_ui_shows_every_cli_run_and_its_materializations(tmp_path: Path) -> None:
    """Two `crm360 run`s, then `crm360 ui` (what `make dagster` starts) on the same data directory."""
    _landing_with_one_pos_file(tmp_path)
    settings = load_settings(data_dir=tmp_path, env={})
    first = run_pipeline(settings, selection="group:raw")
    second = run_pipeline(settings, selection="group:raw")
    assert first.success and second.success
    port = 3000 + os.getpid() % 1000
    env = {**os.environ, "CRM360_DATA_DIR": str(tmp_path)}
    ui = subprocess.Popen(
        [str(BIN / "crm360"), "ui", "--port", str(port)],
        env=env,
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # dagster dev starts a webserver and a daemon: stop the whole group
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 180
        while True:
            try:
                urllib.request.urlopen(f"{url}/server_info", timeout=2)
                break
            except OSError:
                assert time.time() < deadline and ui.poll() is None, "the UI did not start"
                time.sleep(1)
        data = _graphql(
            url,
            "{ runsOrError { ... on Runs { results { runId status jobName } } } "
            "assetNodes { assetKey { path } assetMaterializations(limit: 1) { runId } } }",
        )
    finally:
        os.killpg(ui.pid, signal.SIGTERM)
        ui.wait(timeout=60)
    runs = {r["runId"]: (r["jobName"], r["status"]) for r in data["runsOrError"]["results"]}
    assert runs == {
        first.run_id: ("crm360_full_build", "SUCCESS"),
        second.run_id: ("crm360_full_build", "SUCCESS"),
    }
    raw = {"/".join(n["assetKey"]["path"]): n["assetMaterializations"] for n in data["assetNodes"]}
    assert raw["raw/pos"] and raw["raw/pos"][0]["runId"] in runs
