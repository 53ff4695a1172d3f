"""Rewrite a DuckDB file so the bytes of deleted rows are gone: DuckDB reuses freed blocks but never
clears them, so an erased value stays readable in the file until the database is copied afresh."""

from __future__ import annotations

import os
import time
from pathlib import Path

import duckdb

from sources.lib.fsync import fsync
from sources.lib.sqltext import lit


def compact(path: Path) -> tuple[int, int, float]:
    """Copy every schema, table, view and sequence of `path` into a new file and rename it over `path`
    (the caller holds the only writer); returns (bytes before, bytes after, seconds). A kill before the
    rename leaves the old file and a leftover `.compact` file the next compaction replaces."""
    started = time.perf_counter()
    before = path.stat().st_size
    tmp = path.with_name(f".{path.name}.compact")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH {lit(str(path))} AS old_db (READ_ONLY)")
        con.execute(f"ATTACH {lit(str(tmp))} AS new_db")
        con.execute("COPY FROM DATABASE old_db TO new_db")
        con.execute("CHECKPOINT new_db")
        con.execute("DETACH new_db")
        con.execute("DETACH old_db")
    finally:
        con.close()
    fsync(tmp)
    os.replace(tmp, path)
    fsync(path.parent)
    return before, path.stat().st_size, time.perf_counter() - started
