"""Peak resident memory of this process and all its descendants (dbt subprocesses), sampled from /proc."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from types import TracebackType

PROC = Path("/proc")
PAGE = os.sysconf("SC_PAGE_SIZE")
# 0.2 s: a dbt subprocess or a DuckDB query that holds its peak for less than that can be missed;
# the large hash joins and sorts this pipeline runs hold their memory for seconds.
INTERVAL_S = 0.2


def descendants(pid: int, proc: Path = PROC) -> list[int]:
    """pid and every process below it, through /proc/<pid>/task/<tid>/children."""
    seen, todo = [pid], [pid]
    while todo:
        parent = todo.pop()
        for children in (proc / str(parent) / "task").glob("*/children"):
            try:
                kids = [int(c) for c in children.read_text().split()]
            except OSError:  # the thread or process ended while we looked
                continue
            for kid in kids:
                if kid not in seen:
                    seen.append(kid)
                    todo.append(kid)
    return seen


def rss_bytes(pid: int, proc: Path = PROC) -> int:
    """Resident set size of one process (statm field 2, in pages); 0 when it has gone."""
    try:
        return int((proc / str(pid) / "statm").read_text().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def tree_rss(pid: int, proc: Path = PROC) -> int:
    return sum(rss_bytes(p, proc) for p in descendants(pid, proc))


class MemorySampler:
    """Samples the process tree's summed RSS every INTERVAL_S in a thread; `peak(start, end)` per phase.

    The sum over the tree counts pages shared between parent and child twice; for this pipeline
    the children are dbt processes with their own DuckDB buffers, so the overlap is their Python
    interpreter only (tens of MB).
    """

    def __init__(self, pid: int | None = None, interval: float = INTERVAL_S) -> None:
        self.pid = pid or os.getpid()
        self.interval = interval
        self.samples: list[tuple[float, int]] = []  # (epoch seconds, bytes)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="bench-rss", daemon=True)

    def sample_now(self) -> None:
        """One sample at once: a phase shorter than the interval still gets a reading."""
        self.samples.append((time.time(), tree_rss(self.pid)))

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sample_now()
            self._stop.wait(self.interval)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        self._thread.join()
        self.sample_now()

    def peak(self, start: float | None = None, end: float | None = None) -> int:
        """Highest sample between start and end (epoch seconds; None = unbounded), in bytes."""
        lo, hi = start or float("-inf"), end or float("inf")
        return max((b for t, b in self.samples if lo <= t <= hi), default=0)

    def peak_over(self, intervals: list[tuple[float, float]]) -> int:
        return max((self.peak(a, b) for a, b in intervals), default=0)
