"""What the Dagster glue reports, built directly from domain results (no Dagster run): asset check
results (GX, freshness, pandera, shared helpers) and the materialization metadata of the assets."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import dagster as dg

from pipelines.feeds import REQUIRED, FeedRule, freshness_verdict
from quality.gx_attribution import BatchValidation
from quality.gx_batches import GxRun
from quality.results import ERROR, WARN, CheckResult, sample_json
from sources.ingest.results import FeedLoad, FileLoad

NOW = datetime(2025, 3, 1, 12, tzinfo=UTC)


def _batch(rows: int, validated: int, success: bool | None, *results: CheckResult):
    return BatchValidation("pos", f"l{rows}", f"pos/{rows}.csv", rows, validated, success, list(results))


# --- GX -------------------------------------------------------------------------------------------


def test_gx_result_counts_batches_and_warns_when_only_warnings_failed(tmp_path: Path) -> None:
    from pipelines.defs.checks.gx import gx_check_result

    repeated = CheckResult("expect_compound_columns_to_be_unique:record", "raw.pos", WARN, False, 2)
    run = GxRun(
        batches=[
            _batch(10, 10, True),
            _batch(1000, 100, False, repeated),  # sampled: 100 of 1000 rows
            _batch(0, 0, None),  # an empty load: nothing to validate
        ],
        docs_index=tmp_path / "gx" / "index.html",
        pending=3,
        validation_seconds=[0.5, 1.5],  # the two loads in two GX validations
    )
    result = gx_check_result(run)
    assert not result.passed and result.severity == dg.AssetCheckSeverity.WARN
    values = {k: v.value for k, v in result.metadata.items()}
    assert {k: values[k] for k in values if k.startswith(("batches", "rows", "seconds", "gx_"))} == {
        "batches_validated": 2,
        "batches_empty": 1,
        "batches_pending": 3,
        "batches_sampled": 1,
        "rows_validated": 110,
        "gx_validations": 2,
        "seconds_per_validation": 1.0,
    }
    assert (
        "| expect_compound_columns_to_be_unique:record | raw.pos | warn | 2 |"
        in values["failed_expectations"]
    )
    assert values["data_docs"] == (tmp_path / "gx" / "index.html").resolve().as_uri()
    assert values["data_docs_path"] == str(tmp_path / "gx" / "index.html")
    assert result.description == "1 failed expectation(s) over 2 new batch(es)"


def test_gx_result_is_an_error_when_an_error_expectation_failed() -> None:
    from pipelines.defs.checks.gx import gx_check_result

    warn = CheckResult("unique:record", "raw.pos", WARN, False, 1)
    error = CheckResult("expect_column_values_to_not_be_null:sku", "raw.pos", ERROR, False, 4)
    result = gx_check_result(GxRun([_batch(5, 5, False, warn, error)], docs_index=None))
    assert not result.passed and result.severity == dg.AssetCheckSeverity.ERROR
    assert "data_docs" not in result.metadata


def test_gx_result_passes_with_nothing_new() -> None:
    from pipelines.defs.checks.gx import gx_check_result

    result = gx_check_result(GxRun([], docs_index=None))
    assert result.passed
    assert result.metadata["seconds_per_validation"].value == 0.0
    assert result.metadata["failed_expectations"].value == "none"
    assert result.description == "0 new batch(es) passed"


# --- freshness ------------------------------------------------------------------------------------


def test_freshness_result_is_the_verdict_with_its_rule() -> None:
    from pipelines.defs.checks.freshness import freshness_check_result

    rule = FeedRule(expect=REQUIRED, warn_after_days=2, error_after_days=7)
    result = freshness_check_result(freshness_verdict("pos", rule, NOW - timedelta(days=3), NOW), rule)
    assert (result.check_name, result.asset, result.severity, result.passed, result.failing_rows) == (
        "source_freshness:raw.pos",
        "raw.pos",
        "warn",
        False,
        None,
    )
    assert json.loads(sample_json(result.sample)) == {
        "status": "warn",
        "age_hours": 72.0,
        "message": "raw.pos: last load 72.0 h ago, more than 2 days (warn limit)",
        "rule": {"expect": "required", "warn_after_days": 2, "error_after_days": 7},
    }


def test_freshness_result_of_a_required_feed_never_delivered_is_an_error() -> None:
    from pipelines.defs.checks.freshness import freshness_check_result

    rule = FeedRule(expect=REQUIRED)
    result = freshness_check_result(freshness_verdict("web", rule, None, NOW), rule)
    assert (result.severity, result.passed) == (ERROR, False)
    assert result.sample["status"] == "never delivered" and result.sample["age_hours"] is None


# --- shared helpers and the pandera summary -------------------------------------------------------


def test_results_table_is_capped_and_says_where_the_rest_is() -> None:
    from pipelines.defs.checks.common import MAX_TABLE_ROWS, results_table

    assert results_table([]) == "none"
    results = [CheckResult(f"c{i}", "raw.pos", ERROR, False, i) for i in range(MAX_TABLE_ROWS + 5)]
    lines = results_table(results).splitlines()
    assert lines[2] == "| c0 | raw.pos | error | 0 |"
    assert len(lines) == 2 + MAX_TABLE_ROWS + 1
    assert lines[-1] == "| ... 5 more in audit.check_results | | | |"


def test_check_result_to_dagster_keeps_severity_rows_and_sample() -> None:
    from pipelines.defs.checks.common import to_asset_check_result

    key = dg.AssetKey(["staging", "stg_pos__transaction_lines"])
    failed = to_asset_check_result(
        CheckResult("reconcile_pos", "staging.stg_pos", ERROR, False, 3, {"days": ["2025-01-01"]}), key, "r"
    )
    assert (failed.asset_key, failed.check_name, failed.passed) == (key, "r", False)
    assert failed.severity == dg.AssetCheckSeverity.ERROR
    assert failed.metadata["failing_rows"].value == 3
    assert failed.metadata["sample"].value == {"days": ["2025-01-01"]}
    unknown = to_asset_check_result(CheckResult("x", None, WARN, True, None, '{"a": 1}'))
    assert unknown.severity == dg.AssetCheckSeverity.WARN and unknown.asset_key is None
    assert unknown.metadata["failing_rows"].value == "unknown"
    assert unknown.metadata["sample"].value == {"a": 1}


def test_skipped_reconciliation_is_a_warning_never_a_block() -> None:
    from pipelines.defs.checks.reconciliation import asset_key, skipped_result

    result = skipped_result("core not built", asset_key("core.fct_returns"), "reconcile_returns")
    assert result.asset_key == dg.AssetKey(["core", "fct_returns"])
    assert (result.passed, result.severity, result.description) == (
        False,
        dg.AssetCheckSeverity.WARN,
        "core not built",
    )


def test_pandera_summary_names_failed_rules_and_errors_win() -> None:
    from pipelines.defs.checks.pandera import summarize
    from quality.pandera_schemas import SPECS

    spec = SPECS["core.fct_order_lines"]
    results = [
        CheckResult("pandera:fct_order_lines:dtypes", spec.qualified, ERROR, True, 0),
        CheckResult("pandera:fct_order_lines:shipped_le_ordered", spec.qualified, ERROR, False, 2, {"r": 1}),
        CheckResult("pandera:fct_order_lines:revenue_band", spec.qualified, WARN, False, None),
    ]
    result = summarize(spec.qualified, results)
    assert not result.passed and result.severity == dg.AssetCheckSeverity.ERROR
    assert result.metadata["pandera:fct_order_lines:shipped_le_ordered"].value == 2
    assert result.metadata["pandera:fct_order_lines:revenue_band"].value == "could not run"
    assert result.metadata["failed_rules"].value == [r.check_name for r in results[1:]]
    assert result.description == (
        "core.fct_order_lines: 2 of 3 pandera rules failed: pandera:fct_order_lines:shipped_le_ordered (2), "
        "pandera:fct_order_lines:revenue_band (?)"
    )
    warned = summarize(spec.qualified, results[2:])
    assert warned.severity == dg.AssetCheckSeverity.WARN


# --- materialization metadata of the assets -------------------------------------------------------


def test_raw_metadata_counts_files_by_outcome_and_sums_rows() -> None:
    from pipelines.defs.assets.raw import _metadata

    empty = {k: v.value for k, v in _metadata(FeedLoad("pos")).items()}
    assert empty["rejected_files"] == "-" and empty["extra_columns"] == "-" and empty["rows_read"] == 0
    load = FeedLoad(
        "pos",
        [
            FileLoad(
                "pos", "pos/a.csv", "loaded", "l1", 6, 4, 1, rows_suppressed=1, extra_columns=["z", "a"]
            ),
            FileLoad("pos", "pos/b.csv", "loaded", "l2", 3, 3, 0, extra_columns=["a"]),
            FileLoad("pos", "pos/c.csv", "skipped_duplicate"),
            FileLoad("pos", "pos/d.csv", "rejected", messages=["pos/d.csv: refused: a symbolic link"]),
            FileLoad("pos", "pos/e.csv", "failed", messages=["pos/e.csv: stray quote"]),
        ],
    )
    assert {k: v.value for k, v in _metadata(load).items()} == {
        "files_loaded": 2,
        "files_unchanged": 0,
        "files_skipped_duplicate": 1,
        "files_failed": 1,
        "files_rejected": 1,
        "rejected_files": "pos/d.csv: refused: a symbolic link",
        "rows_read": 9,
        "rows_loaded": 7,
        "rows_quarantined": 1,
        "rows_suppressed": 1,
        "extra_columns": "a, z",
    }


def test_clv_metadata_flattens_parameters_and_skips_missing_likelihoods() -> None:
    from pipelines.defs.assets.clv import clv_metadata
    from pipelines.kpi.clv import ClvSummary

    summary = ClvSummary(
        calibration_end=date(2025, 1, 31),
        time_unit="weeks",
        horizon=52,
        n_customers=10,
        bgnbd={"r": 0.24, "alpha": 4.4},
        bgnbd_log_likelihood=-9582.4,
        gamma_gamma={"p": 6.25},
        clv_models={"bgnbd_gamma_gamma": 9, "historical_rate": 1},
    )
    metadata = clv_metadata(summary)
    assert metadata["calibration_end"] == "2025-01-31" and metadata["n_customers"] == 10
    assert (metadata["bgnbd_r"], metadata["bgnbd_alpha"], metadata["gamma_gamma_p"]) == (0.24, 4.4, 6.25)
    assert metadata["bgnbd_log_likelihood"] == -9582.4 and "gamma_gamma_log_likelihood" not in metadata
    assert metadata["clv_models"].value == {"bgnbd_gamma_gamma": 9, "historical_rate": 1}
    assert clv_metadata(ClvSummary(None, "days", 30))["calibration_end"] == "none"


def test_forecast_metadata_has_one_method_and_error_per_channel() -> None:
    from pipelines.defs.assets.forecast import forecast_metadata

    summary = {
        "channels": 2,
        "history_weeks": 60,
        "last_full_week": None,
        "accuracy": [
            {"channel_key": "web", "method": "ets_damped", "mape": 0.123456, "wape": 0.1},
            {"channel_key": "store", "method": "naive", "mape": None, "wape": 0.25},
        ],
    }
    metadata = forecast_metadata(summary)
    assert metadata["last_full_week"] == "none" and metadata["history_weeks"] == 60
    assert metadata["web_method"] == "ets_damped" and metadata["web_mape"].value == 0.1235
    assert "store_mape" not in metadata and metadata["store_wape"].value == 0.25
    assert metadata["summary"].value == summary


def test_dashboard_metadata_links_the_file_and_lists_tiles_with_a_value(tmp_path: Path) -> None:
    from pipelines.defs.assets.dashboard import dashboard_metadata
    from pipelines.kpi.dashboard.queries import Tile
    from pipelines.kpi.dashboard.render import DashboardResult

    result = DashboardResult(
        path=tmp_path / "kpi_dashboard.html",
        as_of=date(2025, 2, 28),
        tiles=[
            Tile("net_revenue", "Net revenue", "amount", 1234.567891, 1000.0),
            Tile("nps", "NPS", "score", None, None),
        ],
        charts_with_data=["cohorts", "clv"],
        charts_without_data=["forecast"],
        size_bytes=4096,
        seconds=1.234,
    )
    metadata = dashboard_metadata(result)
    assert metadata["url"].value == (tmp_path / "kpi_dashboard.html").as_uri()
    assert metadata["as_of"] == "2025-02-28" and metadata["render_seconds"] == 1.23
    assert metadata["charts_with_data"] == 2 and metadata["charts_without_data"].value == ["forecast"]
    assert metadata["tile_net_revenue"].value == 1234.5679 and "tile_nps" not in metadata
