"""Helpers for the serving-copy tests: `crm360 run` as a killable subprocess, waiting for a point in its
log, a reader process polling the served file, and what a served file holds."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from pipelines.config import REPO_ROOT

SERVED = Path("serving") / "crm360.duckdb"
WAREHOUSE = Path("warehouse") / "crm360.duckdb"
SIMULATION = {"customers": 300, "days": 30, "seed": 11}
FIRST_PART_UPTO = "2025-01-20"  # the first 20 of the 30 days: built and published before each test run
_STARTED: list[subprocess.Popen] = []  # every process these helpers started, each in its own session


def stop_all() -> None:
    """SIGKILL the process group of each started process still running (a test failed mid-run)."""
    for proc in _STARTED:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=60)
    _STARTED.clear()


def step_started(step: str) -> re.Pattern[str]:
    """A Dagster STEP_START line of the run's log file for step keys matching `step` (a regex)."""
    return re.compile(rf'STEP_START - Started execution of step "{step}"')


def deliver_days(source: Path, landing: Path, upto: str | None = None) -> int:
    """Copy the simulated files of the days up to `upto` (all when None) not yet in `landing`."""
    from tests.test_incremental_equality import day_of, deliver  # imports Dagster: only when used

    files = sorted(p for p in source.rglob("*") if p.is_file())
    return deliver(files, source, landing, upto or max(day_of(f) for f in files))


@dataclass
class CliRun:
    """`crm360 run --data-dir D` in its own process group, its output in a file beside D."""

    data_dir: Path
    proc: subprocess.Popen = field(init=False)
    output: Path = field(init=False)
    _logs_before: set[Path] = field(init=False)
    _log: Path | None = None
    _seen: str = ""
    _offset: int = 0

    def __post_init__(self) -> None:
        self.output = self.data_dir.parent / f"{self.data_dir.name}-{time.monotonic_ns()}.out"
        self._logs_before = set((self.data_dir / "logs").glob("run-*.log"))
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
        with self.output.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "pipelines.cli", "run", "--data-dir", str(self.data_dir)],
                cwd=REPO_ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # the run, its resident dbt process and dbt: one group to kill
            )
        _STARTED.append(self.proc)

    def _read_log(self) -> str:
        """The log lines written since the last call (whole lines only)."""
        if self._log is None:
            new = set((self.data_dir / "logs").glob("run-*.log")) - self._logs_before
            if not new:
                return ""
            self._log = new.pop()
        with self._log.open("rb") as f:
            f.seek(self._offset)
            chunk = f.read()
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self._offset += len(complete)
        return complete.decode("utf-8", "replace")

    def wait_for(
        self, pattern: re.Pattern[str], also: Callable[[], bool] | None = None, timeout: float = 300
    ) -> None:
        """Block until the log has a line matching `pattern` and then `also()` holds; poll every 2 ms."""
        deadline = time.monotonic() + timeout
        matched = False
        while True:
            if not matched:
                text = self._read_log()
                self._seen += text
                matched = bool(pattern.search(text))
            if matched and (also is None or also()):
                return
            where = f"{pattern.pattern} ({'seen, condition never held' if matched else 'not seen'})"
            assert self.proc.poll() is None, f"the run ended before {where}: {self.tail()}"
            assert time.monotonic() < deadline, f"no {where} in {timeout} s: {self.tail()}"
            time.sleep(0.002)

    def kill(self) -> None:
        """SIGKILL the whole process group (kill -9 of the run and everything it started)."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=60)

    def finish(self, timeout: float = 600) -> int:
        return self.proc.wait(timeout=timeout)

    def tail(self, chars: int = 3000) -> str:
        return self.output.read_text(errors="replace")[-chars:] if self.output.exists() else ""


def has_tmp_copy(data_dir: Path) -> bool:
    return any((data_dir / "serving").glob(".crm360.duckdb.*.tmp"))


def served_state(data_dir: Path) -> tuple[str, int, str]:
    """(publication run_id, customer_360 rows, sha256 of the file's bytes) of the served copy."""
    path = data_dir / SERVED
    with duckdb.connect(str(path), read_only=True) as con:
        run_id = con.execute("SELECT run_id FROM main.publication").fetchone()[0]
        rows = con.execute("SELECT count(*) FROM marts.customer_360").fetchone()[0]
    return run_id, rows, hashlib.sha256(path.read_bytes()).hexdigest()


def served_signatures(data_dir: Path) -> dict[str, tuple[int, int]]:
    """Rows and business-column checksums of every served table (tests/test_incremental_equality.py)."""
    from tests.test_incremental_equality import table_signatures

    with duckdb.connect(str(data_dir / SERVED), read_only=True) as con:
        return table_signatures(con)


def read_loop(path: str, out: str, stop: str) -> None:
    """The reader process: until `stop` exists, open the served file read-only, read customer_360's
    count, the publication row and every served table's count in that one connection, close, sleep 20 ms.
    One JSON line per try: {"run", "count", "consistent"} or {"error"}."""
    with open(out, "a", encoding="utf-8") as f:
        while not os.path.exists(stop):
            try:
                con = duckdb.connect(path, read_only=True)
                try:
                    count = con.execute("SELECT count(*) FROM marts.customer_360").fetchone()[0]
                    run_id, tables, rows = con.execute(
                        "SELECT run_id, tables, rows FROM main.publication"
                    ).fetchone()
                    served = con.execute(
                        "SELECT schema_name, table_name FROM duckdb_tables() "
                        "WHERE database_name = current_database() AND schema_name <> 'main'"
                    ).fetchall()
                    total = sum(
                        con.execute(f'SELECT count(*) FROM "{s}"."{t}"').fetchone()[0] for s, t in served
                    )
                finally:
                    con.close()
                line = {"run": run_id, "count": count, "consistent": (tables, rows) == (len(served), total)}
            except Exception as exc:  # noqa: BLE001 - any error a reader sees is the finding
                line = {"error": f"{type(exc).__name__}: {exc}"}
            f.write(json.dumps(line) + "\n")
            f.flush()
            time.sleep(0.02)


@dataclass
class Reader:
    """read_loop in its own process, on the served file of `data_dir`."""

    data_dir: Path
    out: Path = field(init=False)
    _stop: Path = field(init=False)
    proc: subprocess.Popen = field(init=False)

    def __post_init__(self) -> None:
        stamp = time.monotonic_ns()
        self.out = self.data_dir.parent / f"reader-{stamp}.jsonl"
        self._stop = self.data_dir.parent / f"reader-{stamp}.stop"
        code = "import sys; from tests.serving_helpers import read_loop; read_loop(*sys.argv[1:])"
        args = [str(self.data_dir / SERVED), str(self.out), str(self._stop)]
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code, *args], cwd=REPO_ROOT, env=env, start_new_session=True
        )
        _STARTED.append(self.proc)
        self.wait_reads(1)

    def reads(self) -> list[dict]:
        if not self.out.exists():
            return []
        lines = self.out.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.endswith("}")]

    def wait_reads(self, more: int, timeout: float = 60) -> None:
        """Block until the reader has made `more` further reads."""
        want, deadline = len(self.reads()) + more, time.monotonic() + timeout
        while len(self.reads()) < want:
            assert self.proc.poll() is None and time.monotonic() < deadline, "the reader stopped reading"
            time.sleep(0.02)

    def stop(self) -> list[dict]:
        self.wait_reads(5)  # a few reads of the final state
        self._stop.touch()
        assert self.proc.wait(timeout=60) == 0
        return self.reads()


def states_seen(reads: list[dict]) -> list[tuple[str, int]]:
    """The (run, count) states in the order the reader saw them, repeats collapsed."""
    seen: list[tuple[str, int]] = []
    for r in reads:
        state = (r.get("run"), r.get("count"))
        if not seen or seen[-1] != state:
            seen.append(state)
    return seen


def assert_old_then_new(reads: list[dict], old: tuple[str, int], new: tuple[str, int]) -> None:
    """No error, every read one publication's own state, exactly `old` then `new`, never back."""
    assert [r for r in reads if "error" in r] == []
    assert all(r["consistent"] for r in reads), [r for r in reads if not r["consistent"]][:3]
    assert states_seen(reads) == [old, new]


def copy_data_dir(source: Path, target: Path) -> Path:
    """A copy keeping the files' mtimes (the last build's landing state compares path, size and mtime)."""
    shutil.copytree(source, target, symlinks=True)
    return target
