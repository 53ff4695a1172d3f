"""Rewrite a DuckDB file so the bytes of deleted rows are gone: DuckDB reuses freed blocks but never
clears them, so an erased value stays readable in the file until the database is copied afresh."""

from __future__ import annotations

import os
import time
from pathlib import Path

import duckdb

from sources.lib.fsync import fsync
from sources.lib.sqltext import ident, lit


def compact_file(path: Path) -> Path:
    """Where the compacted copy of `path` is written before it replaces it."""
    return path.with_name(f".{path.name}.compact")


def copy_out(con: duckdb.DuckDBPyConnection, path: Path) -> Path:
    """Copy every schema, table, view and sequence of the connection's database (the file `path`) into a
    new file, and return it. Done on the writer's own connection, so no other writer can slip in."""
    tmp = compact_file(path)
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    database = con.execute("SELECT current_database()").fetchone()[0]
    con.execute(f"ATTACH {lit(str(tmp))} AS compacted")
    try:
        con.execute(f"COPY FROM DATABASE {ident(database)} TO compacted")
        con.execute("CHECKPOINT compacted")
    finally:
        con.execute("DETACH compacted")
    return tmp


def swap_in(tmp: Path, path: Path) -> None:
    """Rename the closed copy over `path`; a kill before leaves the old file and a leftover copy that the
    next compaction replaces."""
    fsync(tmp)
    os.replace(tmp, path)
    fsync(path.parent)


def compact(path: Path) -> tuple[int, int, float]:
    """Compact the DuckDB file `path` (the caller holds the only writer); returns (bytes before, bytes
    after, seconds)."""
    started, before = time.perf_counter(), path.stat().st_size
    con = duckdb.connect(str(path))
    try:
        tmp = copy_out(con, path)
    finally:
        con.close()
    swap_in(tmp, path)
    return before, path.stat().st_size, time.perf_counter() - started
