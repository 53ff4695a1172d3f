"""What `crm360 run` says and returns: exit statuses, root causes, skipped checks, one log file per run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner

from pipelines import cli
from pipelines.defs.run_summary import RunSummary
from pipelines.run_report import (
    EXIT_NOT_BUILT,
    EXIT_OK,
    EXIT_REJECTED_FILES,
    check_lines,
    exit_code,
    group_failures,
    is_skip_notice,
    rejected_files,
    root_cause,
    run_log_path,
    warning_lines,
)
from quality.results import CheckResult, record_results
from sources.ingest.schema import AUDIT_DDL

LOCK_MESSAGE = (
    'IO Error: Could not set lock on file "/data/warehouse/crm360.duckdb": Conflicting lock is held in '
    "/usr/bin/python3.11 (PID 4242) by user ana. See also https://duckdb.org/docs/stable/connect/concurrency"
)


@dataclass
class FakeError:
    message: str
    cls_name: str | None = None
    cause: Any = None
    context: Any = None


def test_exit_status_means_one_thing() -> None:
    assert exit_code(True, []) == EXIT_OK == 0
    assert exit_code(True, ["pos: pos_bad.csv: failed"]) == EXIT_REJECTED_FILES == 3
    assert exit_code(False, []) == exit_code(False, ["x"]) == EXIT_NOT_BUILT == 1


def test_root_cause_is_the_innermost_error_with_what_to_do_about_a_lock() -> None:
    wrapper = FakeError(
        'Error occurred while executing op "raw__pos":',
        "DagsterExecutionStepExecutionError",
        cause=FakeError(LOCK_MESSAGE, "IOException"),
    )
    text = root_cause(wrapper)
    assert "Error occurred while executing op" not in text
    assert "Conflicting lock" in text and "PID 4242" in text
    assert "process 4242" in text and "Close that program" in text and "serving/crm360.duckdb" in text
    assert root_cause(FakeError("boom", "ValueError")) == "ValueError: boom"
    wrapped = FakeError("dagster._core.errors.DagsterAssetCheckFailedError: 1 blocking asset check failed")
    assert root_cause(wrapped) == "DagsterAssetCheckFailedError: 1 blocking asset check failed"


def test_steps_that_failed_for_one_cause_share_one_line() -> None:
    failures = [("raw__pos", "locked"), ("raw__web", "locked"), ("dbt_staging", "boom")]
    assert group_failures(failures) == ["raw__pos, raw__web: locked", "dbt_staging: boom"]


def test_dagster_skip_notices_are_recognised() -> None:
    assert is_skip_notice(
        "Dependencies for step dbt_staging failed: ['raw_source_freshness']. Not executing."
    )
    assert is_skip_notice(
        "Dependencies for step dbt_marts were not executed: ['dbt_warehouse']. Not executing."
    )
    assert not is_skip_notice("raw.pos: never delivered (optional)")


def test_two_runs_in_the_same_second_get_their_own_log_files(tmp_path: Path) -> None:
    now = datetime(2026, 12, 6, 4, 42, 0, 1)
    same_second = datetime(2026, 12, 6, 4, 42, 0, 2)
    paths = {
        run_log_path(tmp_path, "run", now, pid=1),
        run_log_path(tmp_path, "run", same_second, pid=1),
        run_log_path(tmp_path, "run", now, pid=2),
    }
    assert len(paths) == 3


def test_skipped_checks_are_not_failures_and_rejected_files_are_named() -> None:
    con = duckdb.connect()
    con.execute(AUDIT_DDL)
    record_results(
        con,
        [
            CheckResult("dbt:not_null_x", "core.fct_x", "error", False, None, {"status": "skipped"}),
            CheckResult("dbt:unique_y", "core.dim_y", "error", False, 3, {"status": "fail"}),
            CheckResult("gx:between", "raw.pos", "warn", False, 1, {}),
            CheckResult("source_freshness:raw.pos", "raw.pos", "error", False, None, {"message": "stale"}),
        ],
        "r1",
    )
    failed, skipped = check_lines(con, "r1")
    assert failed == ["dbt:unique_y on core.dim_y: 3 failing", "source_freshness:raw.pos on raw.pos: stale"]
    assert skipped == 1
    con.execute(
        "INSERT INTO audit.load_events VALUES "
        "('pos', 'pos/a.csv', 'h1', 'loaded', 'l1', NULL, 'r1', now()), "
        "('pos', 'pos/b.csv', 'h2', 'failed', NULL, 'no loadable row', 'r1', now()), "
        "('web', 'web/c.jsonl', 'h3', 'skipped_duplicate', 'l0', NULL, 'r1', now()), "
        "('web', 'web/d.jsonl', 'h4', 'failed', NULL, 'other run', 'r0', now())"
    )
    assert rejected_files(con, "r1") == ["pos: pos/b.csv: failed (no loadable row)"]


def test_failed_warnings_are_listed_with_their_count() -> None:
    """A warn check that failed (sends without consent) is named with its count; passed, skipped,
    error-severity and other runs' checks are not."""
    con = duckdb.connect()
    con.execute(AUDIT_DDL)
    name = "dbt:kpi_consent_compliance_sends_without_consent"
    record_results(
        con,
        [
            CheckResult(name, "marts.kpi_consent_compliance", "warn", False, 23, {"status": "warn"}),
            CheckResult("dbt:w_pass", "marts.x", "warn", True, 0, {"status": "pass"}),
            CheckResult("dbt:w_skip", "marts.x", "warn", False, None, {"status": "skipped"}),
            CheckResult("dbt:unique_y", "core.dim_y", "error", False, 3, {"status": "fail"}),
        ],
        "r1",
    )
    record_results(con, [CheckResult(name, "marts.kpi_consent_compliance", "warn", False, 5, {})], "r0")
    assert warning_lines(con, "r1") == [f"{name} on marts.kpi_consent_compliance: 23 failing"]


@pytest.mark.parametrize(
    ("success", "rejected", "expected"),
    [(True, [], 0), (True, ["pos: pos/b.csv: failed (no loadable row)"], 3), (False, [], 1)],
)
def test_crm360_run_exits_with_the_documented_status(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, success: bool, rejected: list[str], expected: int
) -> None:
    import pipelines.defs.runner as runner

    summary = RunSummary(run_id="r1", success=success, seconds=1.0, rejected_files=rejected)
    monkeypatch.setattr(runner, "run_pipeline", lambda settings, selection=None, **_: summary)
    (tmp_path / "landing").mkdir()
    result = CliRunner().invoke(cli.main, ["run", "--data-dir", str(tmp_path)])
    assert result.exit_code == expected, result.output
    for line in rejected:
        assert line in result.output


@pytest.mark.parametrize("selection", ["raw/pos_typo", "group:nope"])
def test_a_selection_that_names_nothing_is_refused_before_the_run(tmp_path: Path, selection: str) -> None:
    (tmp_path / "landing").mkdir()
    result = CliRunner().invoke(cli.main, ["run", "--data-dir", str(tmp_path), "--select", selection])
    assert result.exit_code == 2, result.output
    assert selection in result.output
    assert "valid choices" in result.output and "group:raw" in result.output and "raw/pos" in result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "warehouse").exists()


@pytest.mark.integration
def test_a_run_blocked_by_a_lock_names_the_process_and_what_to_do(tmp_path: Path) -> None:
    import subprocess
    import sys

    from pipelines.config import load_settings
    from pipelines.defs.runner import run_pipeline

    (tmp_path / "landing" / "pos").mkdir(parents=True)
    settings = load_settings(data_dir=tmp_path, env={})
    settings.warehouse_path.parent.mkdir(parents=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); "
         "print('ready', flush=True); time.sleep(120)", str(settings.warehouse_path)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        summary = run_pipeline(settings, selection="raw/pos")
    finally:
        holder.kill()
        holder.wait()
    assert not summary.success and summary.exit_code == 1
    text = "\n".join(summary.failures)
    assert f"PID {holder.pid}" in text and "Close that program" in text, text
    assert "Error occurred while executing op" not in text
    assert summary.log_path is not None and "raw__pos" in summary.log_path.read_text()
