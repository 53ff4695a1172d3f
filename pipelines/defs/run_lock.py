"""One pipeline run at a time per data directory: an advisory lock on `<data dir>/run.lock`, naming its
holder, released by the kernel when the holding process ends (also when it is killed)."""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

LOCK_FILE = "run.lock"


@dataclass(frozen=True)
class Holder:
    pid: int
    host: str
    started: str  # ISO time, UTC
    command: str

    def describe(self) -> str:
        return f"process {self.pid} on {self.host}, started {self.started} (`{self.command}`)"


class RunLocked(RuntimeError):
    """Another run holds the data directory."""

    def __init__(self, data_dir: Path, holder: Holder | None) -> None:
        self.holder = holder
        who = holder.describe() if holder else "another process"
        super().__init__(
            f"another crm360 run is using {data_dir}: {who}. Wait for it to finish (or run with --wait "
            "to queue behind it); a killed run releases the directory by itself."
        )


def read_holder(data_dir: Path) -> Holder | None:
    """Who holds (or last held) the lock, from the lock file's content; None if unreadable."""
    try:
        raw = json.loads((data_dir / LOCK_FILE).read_text() or "null")
        return Holder(int(raw["pid"]), str(raw["host"]), str(raw["started"]), str(raw["command"]))
    except (OSError, ValueError, TypeError, KeyError):
        return None


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextmanager
def run_lock(
    data_dir: Path,
    wait: bool = False,
    on_wait: Callable[[Holder | None], None] | None = None,
    poll_seconds: float = 1.0,
) -> Iterator[Holder]:
    """Hold the data directory for a run. Held elsewhere: raise RunLocked, or with `wait` call `on_wait`
    once with the holder and wait for it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        told = False
        while not _try_lock(fd):
            if not wait:
                raise RunLocked(data_dir, read_holder(data_dir))
            if not told and on_wait:
                on_wait(read_holder(data_dir))
            told = True
            time.sleep(poll_seconds)
        me = Holder(
            pid=os.getpid(),
            host=socket.gethostname(),
            started=datetime.now(UTC).isoformat(timespec="seconds"),
            command=" ".join(["crm360", *sys.argv[1:]]) if sys.argv else "crm360",
        )
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(me.__dict__).encode(), 0)
        yield me
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def held_by(data_dir: Path) -> Holder | None:
    """The holder while a run holds the data directory, else None; never waits."""
    path = data_dir / LOCK_FILE
    if not path.exists():
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        if _try_lock(fd):
            fcntl.flock(fd, fcntl.LOCK_UN)
            return None
        return read_holder(data_dir) or Holder(0, "?", "?", "?")
    finally:
        os.close(fd)
