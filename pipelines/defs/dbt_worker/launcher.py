"""Start (once per pipeline process) the resident dbt process and name the `dbt` that talks to it."""

from __future__ import annotations

import atexit
import contextlib
import os
import subprocess
import sys
from pathlib import Path

from pipelines.defs.dbt_worker.protocol import socket_path

CLIENT = Path(__file__).with_name("dbt")
_started: dict[int, subprocess.Popen] = {}


def ensure_running(env: dict[str, str]) -> Path:
    """The socket of this process's resident dbt process, started now if it is not running.

    A child of this process (same process group: a kill of the run's group ends it too, and the
    benchmark's memory sampler counts it).
    """
    owner = os.getpid()
    path = socket_path(owner)
    proc = _started.get(owner)
    if proc is None or proc.poll() is not None:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pipelines.defs.dbt_worker.server", str(path), str(owner)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=env,
        )
        _started[owner] = proc
        atexit.register(stop, proc)
    return path


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=10)
