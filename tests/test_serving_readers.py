"""Readers of the serving copy during a run: never blocked, never an error, the old state then the new one
and never a mix; a reader holding the working warehouse makes the run fail, naming it."""

from __future__ import annotations

import os

import duckdb
import pytest

from tests.serving_crash_fixtures import Base, Uninterrupted, with_new_files
from tests.serving_helpers import WAREHOUSE, CliRun, assert_old_then_new, served_state

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("serving_cleanup")]


def test_a_reader_sees_the_old_copy_then_the_new_one(serving_uninterrupted: Uninterrupted) -> None:
    run = serving_uninterrupted
    assert run.exit_code == 0, run.output
    old_run, old_count, _ = run.before
    new_run, new_count, _ = served_state(run.data_dir)
    assert new_run != old_run and new_count > old_count  # the new files brought new customers
    assert_old_then_new(run.reads, (old_run, old_count), (new_run, new_count))
    assert len(run.reads) > 100  # it read all through the run, not only before and after


def test_a_reader_holding_the_working_warehouse_fails_the_run_naming_it(serving_base: Base) -> None:
    data_dir = with_new_files(serving_base, "locked")
    before = served_state(data_dir)
    with duckdb.connect(str(data_dir / WAREHOUSE), read_only=True):
        run = CliRun(data_dir)
        code = run.finish()
    out = " ".join(run.tail(20_000).split())
    assert code == 1, out
    assert f"the warehouse is held open by process {os.getpid()} (" in out
    assert f"ps -p {os.getpid()}" in out
    assert "serving/crm360.duckdb" in out  # where a reader should go instead
    assert served_state(data_dir) == before  # nothing built: the served copy is the last good one
