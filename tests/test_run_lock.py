"""The data directory's run lock: a second run is refused with the holder named, or waits; a killed
holder releases it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pipelines.defs.run_lock import RunLocked, held_by, run_lock

HOLD = """
import sys, time
from pathlib import Path
from pipelines.defs.run_lock import run_lock
with run_lock(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _holder(data_dir: Path, seconds: float) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(data_dir), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout and proc.stdout.readline().strip() == "held"
    return proc


def test_a_second_run_is_refused_naming_the_holder(tmp_path: Path) -> None:
    proc = _holder(tmp_path, 30)
    try:
        holder = held_by(tmp_path)
        assert holder is not None and holder.pid == proc.pid
        with pytest.raises(RunLocked) as refused, run_lock(tmp_path):
            pytest.fail("entered a held data directory")
        assert f"process {proc.pid}" in str(refused.value) and str(tmp_path) in str(refused.value)
    finally:
        proc.kill()
        proc.wait()


def test_a_killed_holder_releases_the_directory(tmp_path: Path) -> None:
    proc = _holder(tmp_path, 30)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert held_by(tmp_path) is None
    with run_lock(tmp_path) as me:
        assert me.pid == os.getpid()
        holder = held_by(tmp_path)
        assert holder is not None and holder.pid == os.getpid()


def test_wait_queues_behind_the_holder(tmp_path: Path) -> None:
    proc = _holder(tmp_path, 1.5)
    told: list[int] = []
    started = time.monotonic()
    with run_lock(tmp_path, wait=True, on_wait=lambda h: told.append(h.pid if h else -1), poll_seconds=0.05):
        waited = time.monotonic() - started
    proc.wait()
    assert told == [proc.pid]
    assert waited >= 0.5, "entered while the holder still held the directory"


def test_two_threads_never_hold_it_together(tmp_path: Path) -> None:
    inside: list[int] = []
    overlaps: list[int] = []

    def work() -> None:
        with run_lock(tmp_path, wait=True, poll_seconds=0.01):
            inside.append(1)
            if len(inside) > 1:
                overlaps.append(len(inside))
            time.sleep(0.05)
            inside.pop()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not overlaps
