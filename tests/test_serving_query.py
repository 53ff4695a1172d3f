"""`crm360 sql`'s reader and the run summary's block saying where things are."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.defs.run_summary import RunSummary, read_publication, where_lines
from pipelines.serving.query import query_serving


def _served(path: Path, run_id: str = "run-1") -> Path:
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA marts; CREATE TABLE marts.t AS SELECT range AS n FROM range(7)")
    con.execute("CREATE TABLE main.publication AS SELECT ? AS run_id", [run_id])
    con.close()
    return path


def test_a_query_reads_at_most_the_limit_and_says_so(tmp_path: Path) -> None:
    result = query_serving(_served(tmp_path / "s.duckdb"), "select n from marts.t order by n", limit=5)
    assert result.columns == ["n"] and [r[0] for r in result.rows] == [0, 1, 2, 3, 4] and result.truncated
    whole = query_serving(tmp_path / "s.duckdb", "select n from marts.t", limit=7)
    assert len(whole.rows) == 7 and not whole.truncated


def test_a_query_cannot_write_and_leaves_no_connection_open(tmp_path: Path) -> None:
    path = _served(tmp_path / "s.duckdb")
    with pytest.raises(duckdb.Error, match="read-only"):
        query_serving(path, "create table marts.x (a int)")
    writer = duckdb.connect(str(path))  # would fail on a lock if the reader were still open
    writer.close()


def test_no_serving_copy_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no serving copy"):
        query_serving(tmp_path / "missing.duckdb", "select 1")


def test_the_summary_says_which_run_the_serving_copy_is_of(tmp_path: Path) -> None:
    path = _served(tmp_path / "s.duckdb", run_id="abcdef123456")
    assert read_publication(path) == "abcdef123456"
    assert read_publication(tmp_path / "none.duckdb") is None
    this_run = RunSummary(
        run_id="abcdef123456", success=True, seconds=1.0, serving=path, serving_run="abcdef123456"
    )
    assert f"serving copy: {path} (published by this run)" in where_lines(this_run)
    assert any("access_mode=read_only" in line for line in where_lines(this_run))
    failed = RunSummary(run_id="later", success=False, seconds=1.0, serving=path, serving_run="abcdef123456")
    assert f"serving copy: {path} (the last good copy, from run abcdef12)" in where_lines(failed)
    nothing = RunSummary(run_id="x", success=False, seconds=1.0)
    assert where_lines(nothing)[0].startswith("serving copy: none yet")
