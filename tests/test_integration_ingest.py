"""End to end: simulate a small population, run the raw layer twice, nothing doubled or lost."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines.config import load_settings
from pipelines.defs.runner import run_pipeline
from sources.dev.simulator import simulate
from sources.feeds import FEEDS
from tests.ingest_helpers import assert_reconciled

pytestmark = pytest.mark.integration  # the pipeline's raw layer, twice, on a simulated population


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("data")
    simulate(customers=300, days=30, seed=7, out=data_dir / "landing", start_date=date(2025, 1, 1))
    return data_dir


def table_counts(warehouse: Path) -> dict[str, int]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {name: con.execute(f"SELECT count(*) FROM raw.{name}").fetchone()[0] for name in FEEDS}
    finally:
        con.close()


def test_two_runs_land_every_row_exactly_once(simulated: Path) -> None:
    settings = load_settings(data_dir=simulated)
    first = run_pipeline(settings, selection="group:raw")
    assert first.success, first.failures
    after_first = table_counts(settings.warehouse_path)
    assert all(
        after_first[name] > 0 for name in ("web", "pos", "callcenter", "response_list", "compiled_list")
    )

    second = run_pipeline(settings, selection="group:raw")
    assert second.success, second.failures
    assert table_counts(settings.warehouse_path) == after_first
    assert second.feeds == []  # nothing new was loaded in the second run

    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        assert_reconciled(con)
        # every landing file has exactly one ledger entry per distinct content
        outcomes = dict(
            con.execute(
                "SELECT outcome, count(*) FROM audit.load_events WHERE run_id = ? GROUP BY outcome",
                [first.run_id],
            ).fetchall()
        )
        ledger = con.execute("SELECT count(*) FROM audit.load_ledger").fetchone()[0]
        files = sum(1 for p in (simulated / "landing").rglob("*") if p.is_file())
        assert outcomes["loaded"] == ledger
        assert outcomes["loaded"] + outcomes["skipped_duplicate"] == files
        # The second run decides again only files hashed within RACY_NS of their last write (a
        # rewrite could keep their mtime); the others are counted unchanged, not recorded again.
        again = con.execute(
            "SELECT DISTINCT outcome FROM audit.load_events WHERE run_id = ?", [second.run_id]
        ).fetchall()
        assert again in ([], [("skipped_duplicate",)])
        # the simulator re-delivers some files under another name: they were skipped in run 1 too
        first_run_skips = con.execute(
            "SELECT count(*) FROM audit.load_events WHERE outcome = 'skipped_duplicate' AND run_id = ?",
            [first.run_id],
        ).fetchone()[0]
        assert first_run_skips > 0
        # the simulator's malformed rows are quarantined with file, line and reason
        quarantined = con.execute(
            "SELECT count(*) FROM audit.quarantine WHERE source_line IS NOT NULL AND reason <> ''"
        ).fetchone()[0]
        assert quarantined == con.execute("SELECT sum(rows_quarantined) FROM audit.load_ledger").fetchone()[0]
        assert quarantined > 0
        # no record is loaded twice: the simulator's late rows arrive once, in a later day's file
        for feed, key in (
            ("web", "event_id"),
            ("pos", "transaction_id, line_number"),
            ("callcenter", "interaction_id"),
        ):
            doubled = con.execute(
                f"SELECT count(*) FROM (SELECT {key} FROM raw.{feed} GROUP BY ALL HAVING count(*) > 1)"
            ).fetchone()[0]
            assert doubled == 0, f"{feed}: {doubled} records loaded twice"
    finally:
        con.close()
