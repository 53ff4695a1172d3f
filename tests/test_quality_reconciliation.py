"""Reconciliation across layers on simulated feeds with real staging tables, and dbt results as check rows."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from quality.reconciliation import reconcile
from quality.results import CheckResult, dbt_results_to_check_results, record_results
from sources.dev.simulator import simulate
from sources.feeds import FEEDS
from sources.ingest.loader import load_feed
from tests.dbt_helpers import _dbt
from tests.ingest_helpers import POS_HEADER, pos_line, write

STG_POS, STG_CC = "staging.stg_pos__transaction_lines", "staging.stg_callcenter__interactions"
RETURN_LINE = "(return_of_transaction_id IS NOT NULL OR coalesce(quantity < 0, false))"


@dataclass
class Built:
    warehouse: Path  # built once; tests work on copies
    run_results: dict
    manifest: dict


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    """Simulated feeds plus a POS line re-sent with a corrected amount and a return line, loaded
    by the real loader; the POS and call-centre staging tables built (and tested) by dbt."""
    work = tmp_path_factory.mktemp("recon")
    landing = work / "landing"
    simulate(customers=150, days=10, seed=5, out=landing)
    # file names sort after the simulator's, so the correction is the later load
    write(landing / "pos" / "zz_1.csv", f"{POS_HEADER}\n{pos_line('T-R1', 1, amount='10.00')}\n")
    # a return names its original sale (a negative quantity without one is quarantined)
    resent = [
        pos_line("T-R1", 1, amount="12.00") + ",",
        pos_line("T-R2", 1, qty="-1", amount="-9.99") + ",T-R1",
    ]
    header = POS_HEADER + ",return_of_transaction_id"
    write(landing / "pos" / "zz_2.csv", header + "\n" + "\n".join(resent) + "\n")
    warehouse = work / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse))
    for contract in FEEDS.values():
        load_feed(con, contract, landing, run_id="load-1")
    con.close()
    run = _dbt(
        ["build", "--select", "stg_pos__transaction_lines", "stg_callcenter__interactions"], warehouse, work
    )
    assert run.returncode == 0, run.output[-4000:]
    return Built(
        warehouse,
        json.loads((work / "target" / "run_results.json").read_text()),
        json.loads((work / "target" / "manifest.json").read_text()),
    )


@pytest.fixture
def wh(built: Built, tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    # dbt's compiled SQL names the database by its file stem: the copy keeps the name
    copy = tmp_path / built.warehouse.name
    shutil.copy(built.warehouse, copy)
    con = duckdb.connect(str(copy))
    yield con
    con.close()


def _by_name(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {r.check_name: r for r in results}


def _core_stand_ins(con: duckdb.DuckDBPyConnection) -> None:
    """core facts as the dbt core models shape them (sale lines, returns with refund = -amount)."""
    con.execute("CREATE SCHEMA IF NOT EXISTS core")
    con.execute(f"""
        CREATE TABLE core.fct_order_lines AS SELECT transaction_id, line_number, transaction_at, amount
        FROM {STG_POS} WHERE NOT {RETURN_LINE};
        CREATE TABLE core.fct_returns AS
        SELECT transaction_id, line_number, transaction_at AS returned_at,
               CAST(-amount AS DECIMAL(12, 2)) AS refund_amount
        FROM {STG_POS} WHERE {RETURN_LINE};
        CREATE TABLE core.fct_interactions AS SELECT interaction_id, started_at FROM {STG_CC};
    """)


@pytest.mark.integration
def test_clean_warehouse_reconciles_and_says_core_is_skipped(wh: duckdb.DuckDBPyConnection) -> None:
    run = reconcile(wh, "rec-1", feeds=None)
    assert [(r.check_name, r.sample) for r in run.results if not r.passed] == []
    names = {r.check_name for r in run.results}
    assert {f"reconcile_loads_{feed}" for feed in FEEDS} | {
        "reconcile_pos_amount_raw_vs_staging",
        "reconcile_pos_lines_raw_vs_staging",
        "reconcile_interactions_raw_vs_staging",
    } == names
    assert len(run.skipped) == 3 and all("not built yet: core." in s for s in run.skipped)
    recorded = wh.execute("SELECT count(*), bool_and(passed) FROM audit.check_results WHERE run_id = 'rec-1'")
    assert recorded.fetchone() == (len(run.results), True)


@pytest.mark.integration
def test_resent_rows_are_explained_not_failed(wh: duckdb.DuckDBPyConnection) -> None:
    run = reconcile(wh, "rec-1", feeds=[], assets=[STG_POS])
    amount = _by_name(run.results)["reconcile_pos_amount_raw_vs_staging"]
    assert amount.passed
    explained = amount.sample["resent_rows_explained"]
    assert explained["days"] == 1 and explained["amount_superseded"] == Decimal("10.00")
    rows = wh.execute(
        "SELECT check_name, key, difference FROM audit.reconciliation WHERE run_id = 'rec-1' ORDER BY 1"
    ).fetchall()
    assert rows == [
        ("resent_pos_amount_raw_vs_staging", "2025-01-01", Decimal("10.00")),
        ("resent_pos_lines_raw_vs_staging", "2025-01-01", Decimal("1.00")),
    ]


@pytest.mark.integration
def test_row_deleted_from_raw_breaks_load_reconciliation(wh: duckdb.DuckDBPyConnection) -> None:
    wh.execute("DELETE FROM raw.pos WHERE transaction_id = 'T-R2'")
    run = reconcile(wh, "rec-2", feeds=["pos", "callcenter"], assets=[STG_POS])
    results = _by_name(run.results)
    loads = results["reconcile_loads_pos"]
    assert not loads.passed and loads.failing_rows == 1 and loads.severity == "error"
    [bad] = loads.sample["rows"]
    assert (bad["rows_loaded"], bad["rows_in_raw"]) == (2, 1)
    assert results["reconcile_loads_callcenter"].passed
    # staging is a table built before the delete: it still has the line, so raw vs staging
    # shows the lost amount too (difference = raw - staging)
    amount = results["reconcile_pos_amount_raw_vs_staging"]
    assert not amount.passed and amount.failing_rows == 1
    assert amount.sample["rows"][0]["difference"] == Decimal("9.99")
    row = wh.execute(
        "SELECT layer_a, layer_b, value_a, value_b, difference FROM audit.reconciliation "
        "WHERE run_id = 'rec-2' AND check_name = 'reconcile_loads_pos'"
    ).fetchall()
    assert row == [("audit.load_ledger.rows_loaded", "raw.pos", 2, 1, 1)]


@pytest.mark.integration
def test_staging_total_that_differs_fails_raw_vs_staging(wh: duckdb.DuckDBPyConnection) -> None:
    wh.execute(f"UPDATE {STG_POS} SET amount = amount + 1 WHERE transaction_id = 'T-R1'")
    run = reconcile(wh, "rec-3", assets=[STG_POS])
    results = _by_name(run.results)
    amount = results["reconcile_pos_amount_raw_vs_staging"]
    assert not amount.passed and amount.failing_rows == 1
    [day] = amount.sample["rows"]
    assert day["day"] == "2025-01-01" and day["difference"] == Decimal("-1.00")
    assert results["reconcile_pos_lines_raw_vs_staging"].passed
    failed = wh.execute("SELECT check_name FROM audit.check_results WHERE run_id = 'rec-3' AND NOT passed")
    assert failed.fetchall() == [("reconcile_pos_amount_raw_vs_staging",)]


@pytest.mark.integration
def test_core_layer_reconciles_and_catches_lost_or_doubled_rows(wh: duckdb.DuckDBPyConnection) -> None:
    _core_stand_ins(wh)
    core = ["core.fct_order_lines", "core.fct_interactions"]
    clean = reconcile(wh, "rec-4", feeds=[], assets=core)
    assert clean.skipped == [] and len(clean.results) == 3 and all(r.passed for r in clean.results)
    assert wh.execute("SELECT count(*) FROM core.fct_returns").fetchone()[0] >= 1
    # a join that fans out doubles a sale line; an interaction goes missing
    wh.execute("INSERT INTO core.fct_order_lines SELECT * FROM core.fct_order_lines LIMIT 1")
    wh.execute(
        "DELETE FROM core.fct_interactions "
        "WHERE interaction_id = (SELECT min(interaction_id) FROM core.fct_interactions)"
    )
    broken = _by_name(reconcile(wh, "rec-5", feeds=[], assets=core).results)
    assert {name for name, r in broken.items() if not r.passed} == {
        "reconcile_pos_amount_staging_vs_core",
        "reconcile_pos_lines_staging_vs_core",
        "reconcile_interactions_staging_vs_core",
    }
    assert broken["reconcile_interactions_staging_vs_core"].failing_rows == 1


@pytest.mark.integration
def test_dbt_run_results_become_check_results(built: Built, wh: duckdb.DuckDBPyConnection) -> None:
    results = dbt_results_to_check_results(built.run_results, "dbt-run", manifest=built.manifest)
    tests = [r for r in built.run_results["results"] if r["unique_id"].startswith(("test.", "unit_test."))]
    assert len(results) == len(tests) > 10 and all(r.passed for r in results)
    assert {r.asset for r in results} == {STG_POS, STG_CC}
    synthetic = {
        "metadata": {"invocation_id": "inv-1"},
        "results": [
            {
                "unique_id": "test.crm360.not_null_x_id.abc123",
                "status": "fail",
                "failures": 3,
                "message": "Got 3",
            },
            {"unique_id": "test.crm360.accepted_values_x_c.def456", "status": "warn", "failures": 2},
            {"unique_id": "test.crm360.unique_x_id.0a1b2c", "status": "error", "failures": None},
            {"unique_id": "model.crm360.x", "status": "success"},
        ],
    }
    rows = {r.check_name: r for r in dbt_results_to_check_results(synthetic, "dbt-run")}
    assert set(rows) == {"dbt:not_null_x_id", "dbt:accepted_values_x_c", "dbt:unique_x_id"}
    assert (rows["dbt:not_null_x_id"].severity, rows["dbt:not_null_x_id"].failing_rows) == ("error", 3)
    assert (rows["dbt:accepted_values_x_c"].severity, rows["dbt:accepted_values_x_c"].passed) == (
        "warn",
        False,
    )
    assert rows["dbt:unique_x_id"].failing_rows is None
    assert record_results(wh, [*results, *rows.values()], "dbt-run") == len(results) + 3
    failed = wh.execute("SELECT count(*) FROM audit.check_results WHERE run_id = 'dbt-run' AND NOT passed")
    assert failed.fetchone()[0] == 3


@pytest.mark.integration
def test_dagster_layer_check_reports_each_comparison(built: Built, wh: duckdb.DuckDBPyConnection) -> None:
    from pipelines.defs.checks.reconciliation import layer_checks
    from pipelines.defs.resources import WarehouseResource

    stg_pos = dg.AssetKey(["staging", "stg_pos__transaction_lines"])
    check = next(c for c in layer_checks if {k.asset_key for k in c.check_keys} == {stg_pos})
    path = wh.execute("SELECT path FROM duckdb_databases() WHERE database_name = 'warehouse'").fetchone()[0]
    wh.close()
    specs = [dg.AssetSpec(stg_pos), dg.AssetSpec(["raw", "pos"])]
    job = dg.define_asset_job("recon", selection=dg.AssetSelection.checks(check))
    defs = dg.Definitions(
        assets=specs, asset_checks=[check], jobs=[job], resources={"warehouse": WarehouseResource(path=path)}
    )
    result = defs.resolve_job_def("recon").execute_in_process()
    evaluations = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert evaluations == {
        "reconcile_pos_amount_raw_vs_staging": True,
        "reconcile_pos_lines_raw_vs_staging": True,
    }


def test_failed_load_reconciliation_blocks_downstream_assets(tmp_path: Path) -> None:
    from pipelines.config import load_settings
    from pipelines.defs.assets.raw import build_raw_assets
    from pipelines.defs.checks import load_checks
    from pipelines.defs.resources import LandingResource, WarehouseResource

    settings = load_settings(data_dir=tmp_path)
    resources = {
        "warehouse": WarehouseResource.from_settings(settings),
        "landing": LandingResource.from_settings(settings),
    }

    @dg.asset(key=["staging", "downstream"], deps=[dg.AssetKey(["raw", "pos"])])
    def downstream() -> None:
        return None

    def run() -> tuple[bool, set[dg.AssetKey]]:
        result = dg.materialize(
            [*build_raw_assets(), *load_checks, downstream],
            resources=resources,
            selection=[dg.AssetKey(["raw", "pos"]), dg.AssetKey(["staging", "downstream"])],
            raise_on_error=False,
        )
        [evaluation] = result.get_asset_check_evaluations()
        assert evaluation.check_name == "reconcile_loads"
        return evaluation.passed, {e.asset_key for e in result.get_asset_materialization_events()}

    write(settings.landing_dir / "pos" / "d1.csv", f"{POS_HEADER}\n{pos_line('T1')}\n{pos_line('T2')}\n")
    assert run() == (True, {dg.AssetKey(["raw", "pos"]), dg.AssetKey(["staging", "downstream"])})
    con = duckdb.connect(str(settings.warehouse_path))
    con.execute("DELETE FROM raw.pos WHERE transaction_id = 'T2'")
    con.close()
    assert run() == (False, {dg.AssetKey(["raw", "pos"])})
