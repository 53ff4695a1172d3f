"""Start (once per pipeline process) the resident dbt process and name the `dbt` that talks to it."""

from __future__ import annotations

import atexit
import contextlib
import os
import subprocess
import sys
import time
from pathlib import Path

from pipelines.defs.dbt_worker.protocol import log_path, socket_path

CLIENT = Path(__file__).with_name("dbt")
REPO_ROOT = Path(__file__).resolve().parents[3]
START_SECONDS = 180.0  # importing dbt takes seconds; minutes on a machine busy with other work
_started: dict[int, subprocess.Popen] = {}


def ensure_running(env: dict[str, str]) -> Path:
    """The socket of this process's resident dbt process, started now (and waited for) if needed.

    A child of this process (same process group: a kill of the run's group ends it too, and the
    benchmark's memory sampler counts it). Raises RuntimeError with the process's log when it
    cannot start.
    """
    owner = os.getpid()
    path = socket_path(owner)
    proc = _started.get(owner)
    if proc is not None and proc.poll() is None:
        return path
    with open(log_path(owner), "a", encoding="utf-8") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipelines.defs.dbt_worker.server", str(path), str(owner)],
            cwd=REPO_ROOT,  # `-m` imports from here, whatever directory the pipeline runs in
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=log,
            env=env,
        )
    _started[owner] = proc
    atexit.register(stop, proc, owner)
    deadline = time.monotonic() + START_SECONDS
    while not path.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            tail = log_path(owner).read_text(errors="replace")[-2000:]
            stop(proc, owner)
            raise RuntimeError(f"the resident dbt process did not start (log {log_path(owner)}):\n{tail}")
        time.sleep(0.05)
    return path


def stop(proc: subprocess.Popen, owner: int) -> None:
    """End the resident process; its log goes too unless something was written to it."""
    if proc.poll() is None:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
    log = log_path(owner)
    if log.exists() and log.stat().st_size == 0:
        log.unlink()
