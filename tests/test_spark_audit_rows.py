"""Spark's audit.check_results rows, without Spark: the dbt tests read from a phase's artifacts, the
rows' columns, and the partition values refused before any SQL is written."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.spark.audit import COLUMNS, PARTITION, dbt_checks, record_checks, rows
from quality.results import ERROR, CheckResult


def test_a_phase_without_dbt_artifacts_has_no_dbt_checks(tmp_path: Path) -> None:
    assert dbt_checks(tmp_path, "run-1") == []


def test_the_phases_dbt_tests_are_checks_of_the_tested_model(tmp_path: Path) -> None:
    results = {
        "metadata": {"invocation_id": "inv"},
        "results": [
            {"unique_id": "model.crm360.fct_returns", "status": "success"},
            {"unique_id": "test.crm360.unique_fct_returns_key.ab", "status": "fail", "failures": 3},
        ],
    }
    manifest = {
        "nodes": {
            "test.crm360.unique_fct_returns_key.ab": {"attached_node": "model.crm360.fct_returns"},
            "model.crm360.fct_returns": {"schema": "core", "name": "fct_returns"},
        }
    }
    (tmp_path / "run_results.json").write_text(json.dumps(results))
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    (check,) = dbt_checks(tmp_path, "run-1")
    assert (check.check_name, check.asset, check.passed, check.failing_rows) == (
        "dbt:unique_fct_returns_key", "core.fct_returns", False, 3,
    )  # fmt: skip


def test_rows_hold_the_columns_before_the_stamp_and_partition() -> None:
    result = CheckResult("pandera:t:r", "core.t", ERROR, True, 0, {"rows": [{"k": 1}]})
    (row,) = rows([result])
    assert len(row) == len(COLUMNS) - 1 - len(PARTITION)
    assert row[:5] == ("pandera:t:r", "core.t", ERROR, True, 0) and json.loads(row[5]) == {"rows": [{"k": 1}]}


@pytest.mark.parametrize("run_id", ["", "x' or '1'='1", "run 1", "a/b"])
def test_a_run_id_that_is_not_a_plain_name_is_refused(run_id: str) -> None:
    with pytest.raises(ValueError, match="is not a run id"):
        record_checks(None, [], run_id, "core")  # type: ignore[arg-type]
