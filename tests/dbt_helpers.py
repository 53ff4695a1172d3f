"""Running the project's real dbt CLI from tests, with target and logs kept in a temp folder."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

DBT_PROJECT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"


def _dbt_executable() -> str:
    beside_python = Path(sys.executable).parent / "dbt"
    found = str(beside_python) if beside_python.exists() else shutil.which("dbt")
    if not found:
        pytest.fail("dbt executable not found next to the Python interpreter or on PATH")
    return found


@dataclass
class DbtRun:
    returncode: int
    output: str
    results: list[dict[str, Any]]


def _dbt(args: list[str], warehouse: Path, work_dir: Path) -> DbtRun:
    """Run the project's dbt CLI against `warehouse`, with target and logs under `work_dir`."""
    target = work_dir / "target"
    env = {**os.environ, "CRM360_WAREHOUSE": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    proc = subprocess.run(
        [
            _dbt_executable(),
            *args,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(target),
            "--log-path",
            str(work_dir / "logs"),
            "--no-use-colors",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    run_results = target / "run_results.json"
    results = json.loads(run_results.read_text())["results"] if run_results.exists() else []
    return DbtRun(proc.returncode, proc.stdout + proc.stderr, results)


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
