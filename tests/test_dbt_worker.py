"""The resident dbt process: one dbt process serves every dbt command of a pipeline process, streams
dbt's JSON log lines, returns dbt's exit status, and frees the warehouse file between commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.config import REPO_ROOT
from pipelines.defs.dbt_worker import launcher
from pipelines.defs.dbt_worker.protocol import log_path, socket_path

DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"


def client(args: list[str], env: dict[str, str]) -> tuple[int, list[dict], str]:
    """Run the `dbt` dagster-dbt would run (the client), from this process: its owner."""
    proc = subprocess.run(
        [str(launcher.CLIENT), *args],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    events = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    return proc.returncode, events, proc.stdout


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "CRM360_WAREHOUSE": str(tmp_path / "warehouse.duckdb"),
        "CRM360_PYTHON": sys.executable,
        "PYTHONPATH": str(REPO_ROOT),
        "DBT_LOG_FORMAT": "json",
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }


def test_one_resident_process_serves_every_command(env: dict[str, str], tmp_path: Path) -> None:
    launcher.ensure_running(env)
    try:
        pids = set()
        for _ in range(2):
            code, events, _ = client(["run", "--select", "dim_channel"], env)
            assert code == 0, events[-3:]
            assert any(e["info"]["name"] == "LogModelResult" for e in events)
            pids |= {e["info"].get("pid") for e in events if "pid" in e["info"]} or {None}
            # the warehouse is free for the pipeline's next writer as soon as a command ends
            with duckdb.connect(env["CRM360_WAREHOUSE"]) as con:
                assert con.execute("SELECT count(*) FROM core.dim_channel").fetchone()[0] > 5
        (server_pid,) = pids  # both commands ran in one process ...
        assert server_pid not in (None, os.getpid())  # ... which is neither this one nor a client
        assert (tmp_path / "target" / "run_results.json").exists()

        code, _, output = client(["run", "--select", "dim_channel", "--vars", "{not yaml"], env)
        assert code == 2 and "--vars" in output  # dbt could not run, and says why
        code, events, _ = client(["run", "--select", "no_such_model"], env)
        assert code == 0 and events  # nothing selected: dbt warns and succeeds, as its CLI does
    finally:
        launcher.stop(launcher._started.pop(os.getpid()), os.getpid())
    assert not socket_path(os.getpid()).exists() and not log_path(os.getpid()).exists()


def test_client_without_a_resident_process_fails_clearly(env: dict[str, str], monkeypatch) -> None:
    monkeypatch.setattr("pipelines.defs.dbt_worker.client.CONNECT_SECONDS", 0.2)
    from pipelines.defs.dbt_worker.client import main

    assert main(["--version"]) == 2


def test_a_resident_process_that_cannot_start_is_an_error_naming_its_log(env, monkeypatch) -> None:
    monkeypatch.setattr(launcher.sys, "executable", "/bin/false")
    with pytest.raises(RuntimeError, match="did not start"):
        launcher.ensure_running(env)
