"""Calibrated distribution rules end to end: week one of a small store, most of its lines sold
anonymously, builds every mart; the same data with a configured error and a small minimum sample
is shut out by the anonymous-share rule."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.config import load_settings
from pipelines.defs.runner import run_pipeline
from sources.dev.simulator import simulate

pytestmark = pytest.mark.integration

RULE = "pandera:fct_order_lines:anonymous_share"


def _query(data: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(data / "warehouse" / "crm360.duckdb"), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_week_one_small_store_builds_the_marts_and_a_configured_error_still_fails(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    simulate(out=landing, customers=40, days=7, seed=1)  # 14 of 18 POS lines anonymous
    data = tmp_path / "week_one"
    shutil.copytree(landing, data / "landing")

    summary = run_pipeline(load_settings(data_dir=data, env={}))

    [(lines, share)] = _query(
        data, "SELECT count(*), avg((customer_key IS NULL)::INTEGER) FROM core.fct_order_lines"
    )
    assert lines < 200 and share > 0.6, (lines, share)  # the case: most lines anonymous, few lines
    assert summary.success, summary.failures
    assert "marts.customer_360" in summary.materialized
    assert _query(data, "SELECT count(*) FROM marts.customer_360")[0][0] > 0
    [(severity, passed)] = _query(
        data,
        "SELECT severity, passed FROM audit.check_results WHERE check_name = ? AND run_id = ?",
        [RULE, summary.run_id],
    )
    assert severity == "warn" and passed  # below the minimum sample: no verdict

    # the same store with the rule configured as an error over a sample it reaches
    strict = tmp_path / "strict"
    shutil.copytree(landing, strict / "landing")
    env = {"CRM360_DISTRIBUTION_SEVERITY": "error", "CRM360_ANONYMOUS_SHARE_MIN_LINES": str(lines)}
    failed = run_pipeline(load_settings(data_dir=strict, env=env))
    assert not failed.success
    assert any(RULE in line for line in failed.failed_checks), failed.failed_checks
    assert "marts.customer_360" not in failed.materialized
