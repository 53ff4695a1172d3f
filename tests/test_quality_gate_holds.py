"""The gate stays shut across runs: open_failures on a hand-made audit.check_results (no Dagster), and
`crm360 run` twice over an unchanged bad POS line (integration)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from quality.gate import GATE_CHECK, gate_result, open_failures
from quality.results import ERROR, WARN, CheckResult, record_results
from sources.dev.simulator import simulate

GX_RULE = "gx:expect_column_values_to_be_between:line_number"


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    c = duckdb.connect()
    c.execute("CREATE SCHEMA raw; CREATE TABLE raw.pos (_load_id VARCHAR, line_number INTEGER)")
    c.execute("INSERT INTO raw.pos VALUES ('good', 1), ('bad', 0)")
    return c


def _gx(passed: bool, load_id: str = "bad", severity: str = ERROR) -> CheckResult:
    sample = {"rows": [{"line_number": 0}] if not passed else [], "load_id": load_id}
    return CheckResult(GX_RULE, "raw.pos", severity, passed, 0 if passed else 1, sample)


def _names(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str | None]]:
    return [(f.check_name, f.asset) for f in open_failures(con)]


def test_a_failure_of_an_earlier_run_keeps_the_gate_shut(con: duckdb.DuckDBPyConnection) -> None:
    record_results(con, [_gx(True, "good"), _gx(False)], "run-1")
    record_results(con, [gate_result(open_failures(con), 2)], "run-1")
    # run 2: GX has nothing new to validate, every other check passes
    passed = CheckResult("pandera:fct_order_lines:shipped_le_ordered", "core.fct_order_lines", ERROR, True, 0)
    record_results(con, [passed], "run-2")
    assert _names(con) == [(GX_RULE, "raw.pos")]
    assert '"line_number": 0' in (open_failures(con)[0].example or "")


def test_a_later_pass_of_the_same_check_on_the_same_load_opens_it(con: duckdb.DuckDBPyConnection) -> None:
    record_results(con, [_gx(False)], "run-1")
    record_results(con, [_gx(True, "other-load")], "run-2")  # another load passing proves nothing
    assert _names(con) == [(GX_RULE, "raw.pos")]
    record_results(con, [_gx(True)], "run-3")  # the fixed load validated again
    assert open_failures(con) == []


def test_removing_or_quarantining_the_load_closes_its_failure(con: duckdb.DuckDBPyConnection) -> None:
    record_results(con, [_gx(False)], "run-1")
    con.execute("DELETE FROM raw.pos WHERE _load_id = 'bad'")
    assert open_failures(con) == []


def test_whole_table_checks_and_skips(con: duckdb.DuckDBPyConnection) -> None:
    rule = "dbt:pos_transaction_not_after_load"
    table = "staging.stg_pos__transaction_lines"
    record_results(con, [CheckResult(rule, table, ERROR, False, 1, {"status": "fail"})], "run-1")
    # run 2: the model failed, so the test was skipped: no proof, the failure stands
    record_results(con, [CheckResult(rule, table, ERROR, True, None, {"status": "skipped"})], "run-2")
    assert _names(con) == [(rule, table)]
    record_results(con, [CheckResult(rule, table, ERROR, True, 0, {"status": "pass"})], "run-3")
    assert open_failures(con) == []


def test_warnings_marts_and_results_before_the_gate_opened_do_not_count(
    con: duckdb.DuckDBPyConnection,
) -> None:
    record_results(con, [CheckResult("old:renamed_check", "core.x", ERROR, False, 1)], "run-1")
    record_results(con, [CheckResult(GATE_CHECK, "core", ERROR, True, 0)], "run-2")  # the gate opened
    record_results(
        con,
        [
            _gx(False, severity=WARN),
            CheckResult("pandera:customer_360:counts_non_negative", "marts.customer_360", ERROR, False, 1),
        ],
        "run-3",
    )
    assert open_failures(con) == []


def test_no_audit_table_means_nothing_failed() -> None:
    assert open_failures(duckdb.connect()) == []


# --- end to end: `crm360 run` twice over an unchanged bad POS line ---


def _bad_pos_file(landing: Path) -> str:
    """A copy of the first simulated POS line as a new transaction with line_number 0 and a
    negative unit cost (the issue's example); returns its transaction id."""
    rows: list[dict[str, str]] = []
    for path in sorted((landing / "pos").glob("pos_*.csv")):
        with path.open(newline="") as fh:
            reader = csv.DictReader(fh)
            fields = list(reader.fieldnames or [])
            rows += [r for r in reader if r["customer_ref"] and int(r["quantity"]) > 0]
    row = rows[0]  # a sale to a known customer: it would reach customer_360
    row.update(transaction_id="T-BAD-000009", line_number="0", unit_cost="-5.00", return_of_transaction_id="")
    with (landing / "pos" / "pos_manual_fix.csv").open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=fields)
        writer.writeheader()
        writer.writerow(row)
    return row["transaction_id"]


def _crm360_run(data: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "COLUMNS": "240"}
    for var in [v for v in env if v.startswith("CRM360_")]:
        env.pop(var)
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "run", "--data-dir", str(data)],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
        check=False,
    )


def _query(data: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(data / "warehouse" / "crm360.duckdb"), read_only=True) as c:
        return c.execute(sql, params or []).fetchall()


@pytest.mark.integration
def test_gate_stays_shut_on_a_second_run_over_unchanged_bad_data(tmp_path: Path) -> None:
    data = tmp_path / "data"
    simulate(out=data / "landing", customers=150, days=12, seed=5)
    bad = _bad_pos_file(data / "landing")

    first = _crm360_run(data)
    assert first.returncode != 0, first.stderr[-3000:]
    second = _crm360_run(data)  # nothing changed

    assert second.returncode != 0, second.stderr[-3000:]
    assert "quality gate closed" in second.stderr and GX_RULE in second.stderr, second.stderr[-3000:]
    [(run_id,)] = _query(data, "SELECT run_id FROM audit.check_results ORDER BY checked_at DESC LIMIT 1")
    [(passed, sample)] = _query(
        data,
        "SELECT passed, sample FROM audit.check_results WHERE run_id = ? AND check_name = ?",
        [run_id, GATE_CHECK],
    )
    assert not passed and GX_RULE in sample
    # the line reached core, and no mart was built from it, in either run
    assert _query(data, "SELECT count(*) FROM core.fct_order_lines WHERE transaction_id = ?", [bad]) == [(1,)]
    assert _query(data, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'marts'") == []
