"""Two `crm360 run`s started together on one data directory: the second is refused naming the first, or
with --wait runs after it; nothing is loaded twice and neither fails on a lock."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from pipelines.defs.run_lock import held_by
from pipelines.run_report import EXIT_REFUSED

pytestmark = pytest.mark.integration
REPO = Path(__file__).resolve().parent.parent


def _cli(data_dir: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines.cli", "run", "--data-dir", str(data_dir), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )


def test_a_second_run_is_refused_or_waits_and_nothing_loads_twice(small: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(small / "landing", data / "landing")
    first = _cli(data)
    try:
        deadline = time.monotonic() + 120
        while held_by(data) is None:
            assert first.poll() is None, first.communicate()[1][-3000:]
            assert time.monotonic() < deadline, "the first run never took the data directory"
            time.sleep(0.05)
        refused = _cli(data)
        waiting = _cli(data, "--wait")
        _, refused_err = refused.communicate(timeout=120)
        assert refused.returncode == EXIT_REFUSED, refused_err[-3000:]
        assert "another crm360 run" in refused_err and f"process {first.pid}" in refused_err
        _, first_err = first.communicate(timeout=600)
        _, waiting_err = waiting.communicate(timeout=600)
    finally:
        for proc in (first,):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
    assert first.returncode in (0, 3), first_err[-3000:]
    assert waiting.returncode in (0, 3), waiting_err[-3000:]
    assert f"waiting for the run that holds this data directory: process {first.pid}" in " ".join(
        waiting_err.split()
    )
    assert "nothing new since run" in " ".join(waiting_err.split())  # it ran after the first, on its result
    con = duckdb.connect(str(data / "warehouse" / "crm360.duckdb"), read_only=True)
    try:
        twice = con.execute(
            "SELECT feed, source_file, count(*) FROM audit.load_ledger GROUP BY ALL HAVING count(*) > 1"
        ).fetchall()
        files = con.execute("SELECT count(*) FROM audit.load_ledger").fetchone()[0]
    finally:
        con.close()
    assert files > 0 and twice == []
