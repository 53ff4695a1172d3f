"""Raw assets materialized in-process, with their asset checks, on a temporary DuckDB (no dbt).

Definitions come from build_definitions(settings) on tmp_path, so what runs is what the code location
serves: the raw asset, its GX, load reconciliation and freshness checks, and the real resources.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb

from pipelines.config import Settings, load_settings
from pipelines.defs.definitions import build_definitions
from tests.ingest_helpers import POS_HEADER, pos_line, web_event, write

POS = dg.AssetKey(["raw", "pos"])
WEB = dg.AssetKey(["raw", "web"])


def materialize(defs: dg.Definitions, *keys: dg.AssetKey) -> dg.ExecuteInProcessResult:
    """The selected assets and their checks, as a run of the code location's all-assets job would."""
    job = defs.resolve_implicit_global_asset_job_def()
    return job.execute_in_process(
        asset_selection=list(keys), instance=dg.DagsterInstance.ephemeral(), raise_on_error=False
    )


def evaluations(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {f"{e.asset_key.to_user_string()}:{e.check_name}": e for e in result.get_asset_check_evaluations()}


def query(settings: Settings, sql: str, *params: object) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def test_raw_pos_loads_and_its_checks_pass(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "data", env={})
    defs = build_definitions(settings)
    write(settings.landing_dir / "pos" / "d1.csv", f"{POS_HEADER}\n{pos_line('T1')}\n{pos_line('T2')}\n")
    result = materialize(defs, POS)
    assert result.success
    [mat] = result.asset_materializations_for_node("raw__pos")
    assert (mat.metadata["files_loaded"].value, mat.metadata["rows_loaded"].value) == (1, 2)

    checks = evaluations(result)
    # only raw.pos's checks ran: the multi-asset freshness check is subset to the selection
    assert set(checks) == {"raw/pos:gx_batches", "raw/pos:reconcile_loads", "raw/pos:source_freshness"}
    assert all(e.passed for e in checks.values()), {k: e.description for k, e in checks.items()}
    assert checks["raw/pos:source_freshness"].description.startswith("raw.pos: last load 0.0 h ago")
    assert checks["raw/pos:gx_batches"].metadata["rows_validated"].value == 2

    assert query(settings, "SELECT transaction_id FROM raw.pos ORDER BY 1") == [("T1",), ("T2",)]
    assert query(
        settings, "SELECT run_id, rows_read, rows_loaded, rows_quarantined FROM audit.load_ledger"
    ) == [(result.run_id, 2, 2, 0)]
    # every check also wrote audit.check_results, stamped with this run
    recorded = dict(
        query(settings, "SELECT check_name, passed FROM audit.check_results WHERE run_id = ?", result.run_id)
    )
    assert {"source_freshness:raw.pos", "reconcile_loads_pos"} <= set(recorded), recorded
    assert all(recorded.values()), recorded


def test_a_required_feed_that_never_delivered_fails_its_blocking_freshness_check(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "data", env={"CRM360_FEEDS": '{"web": "required"}'})
    result = materialize(build_definitions(settings), WEB)
    assert not result.success  # a blocking check failed with ERROR severity
    freshness = evaluations(result)["raw/web:source_freshness"]
    assert not freshness.passed and freshness.severity == dg.AssetCheckSeverity.ERROR
    assert freshness.description == "raw.web: never delivered (required by CRM360_FEEDS: an error)"
    assert query(settings, "SELECT count(*) FROM raw.web") == [(0,)]


def test_raw_asset_reports_quarantined_rows(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "data", env={})
    write(settings.landing_dir / "pos" / "d1.csv", POS_HEADER + "\n" + pos_line("T1") + "\nT2,1\n")
    result = materialize(build_definitions(settings), POS)
    assert result.success
    [mat] = result.asset_materializations_for_node("raw__pos")
    assert mat.metadata["rows_read"].value == 2
    assert mat.metadata["rows_loaded"].value == 1
    assert mat.metadata["rows_quarantined"].value == 1
    assert query(settings, "SELECT run_id FROM audit.load_ledger") == [(result.run_id,)]
    assert evaluations(result)["raw/pos:reconcile_loads"].passed


def test_rejected_file_is_named_and_does_not_fail_the_asset(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "data", env={})
    write(settings.landing_dir / "pos" / "bad.csv", POS_HEADER + ",sku\n" + pos_line("T1") + ",x\n")
    result = materialize(build_definitions(settings), POS)
    assert result.success  # a rejected file is the file's fault: named, recorded, nothing else stops
    [mat] = result.asset_materializations_for_node("raw__pos")
    assert mat.metadata["files_rejected"].value == 1
    assert "pos/bad.csv: header repeats column(s) sku" in mat.metadata["rejected_files"].value


def test_web_asset_pulls_from_the_http_api_on_loopback(tmp_path: Path) -> None:
    from sources.dev.web_api_server import serve

    served = tmp_path / "served"
    write(served / "events.jsonl", "\n".join(web_event(f"e{i}") for i in range(12)) + "\n")
    settings = load_settings(tmp_path / "data", env={})
    with serve(served, page_cap=5) as (_server, _thread, url):
        defs = build_definitions(settings.with_overrides(web_api_url=url))
        first = materialize(defs, WEB)
        second = materialize(defs, WEB)
    assert first.success and second.success
    [mat] = first.asset_materializations_for_node("raw__web")
    assert mat.metadata["files_loaded"].value == 3  # 12 events in pages of at most 5
    [again] = second.asset_materializations_for_node("raw__web")
    assert again.metadata["files_loaded"].value == 0  # the cursor remembered the pages
    assert query(settings, "SELECT count(*), count(DISTINCT event_id) FROM raw.web") == [(12, 12)]


def test_partitions_of_raw_pos_load_only_their_days_files_once(tmp_path: Path) -> None:
    import os
    from datetime import date

    from pipelines.defs.partitions import partition_tags

    settings = load_settings(tmp_path / "data", env={})
    defs = build_definitions(settings)
    lists = dg.AssetKey(["raw", "compiled_list"])
    job = defs.resolve_job_def("crm360_full_build").get_subset(asset_selection={POS, lists})
    # a list feed is unpartitioned: in a run over some days it still loads every new file
    write(settings.landing_dir / "lists" / "compiled" / "acme_spring.csv", "list_id\nL1\n")
    pos = settings.landing_dir / "pos"
    for day in (1, 2, 3):
        write(pos / f"pos_2025-03-0{day}.csv", f"{POS_HEADER}\n{pos_line(f'T{day}')}\n")
    undated = write(pos / "export.csv", f"{POS_HEADER}\n{pos_line('T9')}\n")
    march_2 = 1740916800 * 10**9  # 2025-03-02T12:00:00Z: the day of a name without one
    os.utime(undated, ns=(march_2, march_2))
    instance = dg.DagsterInstance.ephemeral()

    def run(first: int, last: int) -> dg.ExecuteInProcessResult:
        days = (date(2025, 3, first), date(2025, 3, last))
        return job.execute_in_process(instance=instance, tags=partition_tags(days), raise_on_error=False)

    two_days = run(2, 3)
    assert two_days.success
    # one run, one materialization per day of the range
    assert sorted(m.partition for m in two_days.get_asset_materialization_events() if m.asset_key == POS) == [
        "2025-03-02",
        "2025-03-03",
    ]
    loaded = "SELECT source_file FROM audit.load_ledger WHERE feed = 'pos' ORDER BY 1"
    attempted = "SELECT source_file FROM audit.load_events WHERE feed = 'compiled_list'"
    assert query(settings, attempted) == [("lists/compiled/acme_spring.csv",)]
    assert query(settings, loaded) == [
        ("pos/export.csv",),
        ("pos/pos_2025-03-02.csv",),
        ("pos/pos_2025-03-03.csv",),
    ]
    assert run(2, 3).success and len(query(settings, loaded)) == 3  # again: exactly once
    # a corrected file of an old day, re-sent: that day's partition loads it
    write(pos / "pos_2025-03-02_resent.csv", f"{POS_HEADER}\n{pos_line('T2', qty='2')}\n")
    assert run(1, 2).success
    assert query(settings, loaded)[:2] == [("pos/export.csv",), ("pos/pos_2025-03-01.csv",)]
    assert ("pos/pos_2025-03-02_resent.csv",) in query(settings, loaded)
    assert len(query(settings, loaded)) == 5
