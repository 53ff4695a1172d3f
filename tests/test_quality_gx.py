"""Great Expectations on loaded batches: clean simulated feeds pass, injected violations fail the rule."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from quality.gx_batches import fetch_group, pending_loads, validate_group, validate_new_batches
from quality.gx_context import feed_checkpoint, gx_context
from quality.gx_groups import PendingLoad
from sources.dev.simulator import simulate
from sources.feeds import FEEDS
from sources.ingest.loader import load_feed
from tests.ingest_helpers import POS_HEADER, load, pos_line, write

CALLS_HEADER = "interaction_id,channel,direction,queue,started_at,ended_at,abandoned,csat,nps"


def call_line(iid: str, csat: str = "4", channel: str = "phone") -> str:
    return (
        f"{iid},{channel},inbound,service,2025-01-02T10:00:00+00:00,2025-01-02T10:05:00+00:00,false,{csat},9"
    )


@dataclass
class Gx:
    con: duckdb.DuckDBPyConnection
    landing: Path
    reports: Path
    first: object  # GxRun of the first validation


@pytest.fixture(scope="module")
def gx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gx]:
    work = tmp_path_factory.mktemp("gx")
    landing = work / "landing"
    simulate(customers=150, days=10, seed=5, out=landing)
    con = duckdb.connect(str(work / "warehouse.duckdb"))
    for contract in FEEDS.values():
        load_feed(con, contract, landing, run_id="load-1")
    first = validate_new_batches(con, work / "reports", run_id="gx-1")
    yield Gx(con, landing, work / "reports", first)
    con.close()


def _insert_raw_batch(con: duckdb.DuckDBPyConnection, load_id: str, rows: list[dict]) -> None:
    """Rows written straight into raw.pos, bypassing the loader, with a ledger entry for the batch."""
    for i, row in enumerate(rows):
        cols = [*row, "_load_id", "_source_file", "_source_line", "_loaded_at"]
        values = [*row.values(), load_id, "pos/manual.csv", i + 2]
        marks = ", ".join(["?"] * len(values)) + ", now()"
        con.execute(f"INSERT INTO raw.pos ({', '.join(cols)}) VALUES ({marks})", values)
    con.execute(
        "INSERT INTO audit.load_ledger (load_id, feed, source_file, content_hash, file_bytes, rows_read, "
        "rows_loaded, rows_quarantined, extra_columns, run_id, loaded_at) "
        "VALUES (?, 'pos', 'pos/manual.csv', ?, 0, ?, ?, 0, [], 'manual', now())",
        [load_id, load_id, len(rows), len(rows)],
    )


def test_clean_feeds_pass_every_expectation(gx: Gx) -> None:
    run = gx.first
    assert run.batches, "the simulator's files were validated"
    assert run.failed == [], [(r.check_name, r.asset, r.sample) for r in run.failed]
    loads = gx.con.execute("SELECT count(*) FROM audit.load_ledger").fetchone()[0]
    assert len(run.batches) == loads  # every load, no backlog
    # ... in far fewer GX validations: small daily files share one (6 feeds, ~50 files here)
    assert len(run.validation_seconds) <= len(FEEDS) + 2 < loads
    names = {r.check_name for r in run.results if r.asset == "raw.callcenter"}
    assert {
        "gx:expect_column_values_to_not_be_null:interaction_id",
        "gx:expect_column_values_to_be_in_set:channel",
        "gx:expect_column_values_to_be_between:csat",
        "gx:expect_column_values_to_be_between:nps",
        "gx:expect_column_values_to_be_between:hold_seconds",
        "gx:expect_column_values_to_be_in_type_list:started_at",
        "gx:expect_column_values_to_be_unique:interaction_id",
    } <= names


def test_results_are_recorded_with_run_id_and_batches_marked(gx: Gx) -> None:
    rows = gx.con.execute(
        "SELECT count(*), count(DISTINCT asset), bool_and(passed) FROM audit.check_results "
        "WHERE run_id = 'gx-1'"
    ).fetchone()
    assert rows[0] == len(gx.first.results) and rows[1] >= 3 and rows[2] is True
    sample = json.loads(gx.con.execute("SELECT sample FROM audit.check_results LIMIT 1").fetchone()[0])
    assert {"rows", "load_id", "rows_in_batch", "rows_validated", "sampled"} <= sample.keys()
    marked = gx.con.execute("SELECT count(*) FROM audit.gx_validated WHERE run_id = 'gx-1'").fetchone()[0]
    assert marked == len(gx.first.batches)


def test_data_docs_are_built(gx: Gx) -> None:
    index = gx.first.docs_index
    assert index == gx.reports / "gx" / "data_docs" / "index.html" and index.exists()
    pages = [b.docs_page for b in gx.first.batches if b.docs_page]
    assert len(pages) == sum(b.success is not None for b in gx.first.batches) > 0
    assert all(Path(p.removeprefix("file://")).exists() for p in pages)
    # the index links every batch page (relative links)
    html, root = index.read_text(), index.resolve().parent.as_uri() + "/"
    assert all(p.removeprefix(root) in html for p in pages)


def test_violations_fail_the_named_rule_and_old_batches_are_not_revalidated(gx: Gx) -> None:
    # through the loader: values of the right type that break a range or a business rule
    write(gx.landing / "callcenter" / "calls_bad.csv", f"{CALLS_HEADER}\n{call_line('I-X1', csat='9')}\n")
    write(gx.landing / "pos" / "pos_bad.csv", f"{POS_HEADER}\n{pos_line('T-X1', qty='0', amount='0')}\n")
    load(gx.con, "callcenter", gx.landing)
    load(gx.con, "pos", gx.landing)
    # straight into raw, as only a bug or a manual fix could: a NULL in a required column
    base = {"line_number": 1, "store_id": "S-1", "transaction_at": "2025-01-03 10:00:00+00", "quantity": 1}
    base |= {"unit_price": 1, "amount": 1}
    _insert_raw_batch(gx.con, "pos:manual", [{"transaction_id": "T-M1", "sku": None, **base}])

    second = validate_new_batches(gx.con, gx.reports, run_id="gx-2")

    assert sorted(b.source_file for b in second.batches) == [
        "callcenter/calls_bad.csv",
        "pos/manual.csv",
        "pos/pos_bad.csv",
    ]
    failed = {(r.asset, r.check_name, r.failing_rows, r.severity) for r in second.failed}
    assert failed == {
        ("raw.callcenter", "gx:expect_column_values_to_be_between:csat", 1, "error"),
        ("raw.pos", "gx:expect_column_values_to_not_be_in_set:quantity", 1, "error"),
        ("raw.pos", "gx:expect_column_values_to_not_be_null:sku", 1, "error"),
    }
    csat = next(r for r in second.failed if r.check_name.endswith(":csat"))
    assert csat.sample["rows"] == [{"_source_line": 2, "csat": 9}]
    recorded = gx.con.execute(
        "SELECT check_name FROM audit.check_results WHERE run_id = 'gx-2' AND NOT passed ORDER BY 1"
    ).fetchall()
    assert [r[0] for r in recorded] == sorted(r.check_name for r in second.failed)
    third = validate_new_batches(gx.con, gx.reports, run_id="gx-3")
    assert third.batches == []


def test_large_batch_is_validated_on_a_sample(gx: Gx, tmp_path: Path) -> None:
    load_id, rows = gx.con.execute(
        "SELECT load_id, rows_loaded FROM audit.load_ledger WHERE feed = 'web' ORDER BY rows_loaded DESC"
    ).fetchone()
    big = PendingLoad(load_id, "x", rows)
    df = fetch_group(gx.con, FEEDS["web"], [big], sample_rows=7)
    assert len(df) == 7 and set(df["_load_id"]) == {load_id}
    context = gx_context(tmp_path / "gx")
    [batch], _, _ = validate_group(gx.con, feed_checkpoint(context, FEEDS["web"]), FEEDS["web"], [big], 7)
    assert batch.success and batch.rows_validated == 7 < batch.rows_in_batch
    assert all(r.sample["sampled"] for r in batch.results)
    assert pending_loads(gx.con, FEEDS["web"]) == []  # the fixture's run validated them all


def test_dagster_gx_and_load_checks_on_a_raw_asset(tmp_path: Path) -> None:
    from pipelines.config import load_settings
    from pipelines.defs.assets.raw import build_raw_assets
    from pipelines.defs.checks import gx_checks, load_checks
    from pipelines.defs.definitions import build_resources

    settings = load_settings(data_dir=tmp_path)
    resources = build_resources(settings)
    write(settings.landing_dir / "callcenter" / "d1.csv", f"{CALLS_HEADER}\n{call_line('I1', csat='7')}\n")
    result = dg.materialize(
        [*build_raw_assets(), *gx_checks, *load_checks],
        resources=resources,
        selection=[dg.AssetKey(["raw", "callcenter"])],
        raise_on_error=False,
    )
    evaluations = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert set(evaluations) == {"gx_batches", "reconcile_loads"}
    gx_eval, loads_eval = evaluations["gx_batches"], evaluations["reconcile_loads"]
    assert loads_eval.passed
    assert not gx_eval.passed and gx_eval.severity == dg.AssetCheckSeverity.ERROR
    docs = gx_eval.metadata["data_docs_path"].value
    assert Path(docs).exists() and gx_eval.metadata["data_docs"].value.startswith("file://")
    assert "expect_column_values_to_be_between:csat" in gx_eval.metadata["failed_expectations"].value
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    run_ids = con.execute("SELECT DISTINCT run_id FROM audit.check_results").fetchall()
    con.close()
    assert run_ids == [(result.run_id,)]
