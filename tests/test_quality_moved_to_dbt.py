"""The rules pandera no longer states are dbt's: bad data the removed pandera rules caught fails the
dbt test (or contract) that holds the rule, at error severity, so the dbt core step fails and no mart
is built (tests/test_quality_gates_run.py shows that end to end for a return reason).

The tables are test_quality_pandera's hand-made core tables, with its old violations injected all at
once, each on its own rows; the real dbt CLI runs the named tests against them.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tests.dbt_helpers import DbtRun, _dbt
from tests.test_quality_pandera import DDL

# (UPDATE that breaks one row, the removed pandera rule that caught it, the dbt test that does now)
MOVED = [
    ("core.fct_order_lines SET customer_sk = 'sk-orphan' WHERE order_line_key = 'L0'",
     "fct_order_lines:customer_sk_in_dim_customer",
     "relationships_fct_order_lines_customer_sk__customer_sk__ref_dim_customer_"),
    ("core.fct_order_lines SET product_key = 'p-orphan' WHERE order_line_key = 'L1'",
     "fct_order_lines:product_key_in_dim_product",
     "relationships_fct_order_lines_product_key__product_key__ref_dim_product_"),
    ("core.fct_order_lines SET order_line_key = 'L2' WHERE order_line_key = 'L4'",
     "fct_order_lines:unique_order_line_key", "unique_fct_order_lines_order_line_key"),
    ("core.fct_order_lines SET transaction_id = NULL WHERE order_line_key = 'L6'",
     "fct_order_lines:not_null_transaction_id", "not_null_fct_order_lines_transaction_id"),
    ("core.fct_order_lines SET quantity = 0, amount = 0 WHERE order_line_key = 'L8'",
     "fct_order_lines:quantity_positive", "expression_is_true_fct_order_lines_quantity__quantity_0"),
    ("core.fct_returns SET return_reason = 'lost' WHERE return_line_key = 'R2'",
     "fct_returns:reason_accepted",
     "accepted_values_fct_returns_return_reason__returns__recall__repair__repackaging__recycling"),
    ("core.fct_returns SET customer_sk = 'sk-orphan' WHERE return_line_key = 'R1'",
     "fct_returns:customer_sk_in_dim_customer",
     "relationships_fct_returns_customer_sk__customer_sk__ref_dim_customer_"),
    ("core.fct_interactions SET ended_at = '2026-03-01 09:30' WHERE interaction_id = 'I2'",
     "fct_interactions:ended_after_started", "expression_is_true_fct_interactions_ended_at_started_at"),
    ("core.fct_interactions SET customer_sk = 'sk-orphan' WHERE interaction_id = 'I1'",
     "fct_interactions:customer_sk_in_dim_customer",
     "relationships_fct_interactions_customer_sk__customer_sk__ref_dim_customer_"),
    ("core.dim_customer SET valid_to = '2026-01-01' WHERE customer_sk = 'sk1'",
     "dim_customer:valid_from_before_valid_to", "scd2_valid_ranges_dim_customer_customer_key"),
    ("core.fct_web_sessions SET customer_key = 'C9' WHERE session_id = 'W2'",
     "fct_web_sessions:customer_key_in_dim_customer",
     "relationships_fct_web_sessions_customer_key__customer_key__ref_dim_customer_"),
    ("core.fct_web_sessions SET session_ended_at = '2026-03-01 08:00' WHERE session_id = 'W1'",
     "fct_web_sessions:ended_after_started",
     "expression_is_true_fct_web_sessions_session_ended_at_session_started_at_and_events_1"),
    ("core.fct_web_sessions SET duration_seconds = -5 WHERE session_id = 'W1'",
     "fct_web_sessions:events_and_duration",
     "expression_is_true_fct_web_sessions_duration_seconds__duration_seconds_0"),
    ("marts.customer_360 SET customer_sk = 'sk-orphan' WHERE customer_key = 'C2'",
     "customer_360:customer_sk_in_dim_customer",
     "relationships_customer_360_customer_sk__customer_sk__ref_dim_customer_"),
]  # fmt: skip


def _warehouse(path: Path, breaks: list[str]) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute(DDL)
        for sql in breaks:
            con.execute(f"UPDATE {sql}")
    return path


@pytest.fixture(scope="module")
def dbt_on_bad_tables(tmp_path_factory: pytest.TempPathFactory) -> DbtRun:
    work = tmp_path_factory.mktemp("moved_to_dbt")
    warehouse = _warehouse(work / "warehouse.duckdb", [m[0] for m in MOVED])
    return _dbt(["test", "--select", *sorted({m[2] for m in MOVED})], warehouse, work)


@pytest.mark.integration
@pytest.mark.parametrize(("breaks", "old_rule", "dbt_test"), MOVED, ids=[m[1] for m in MOVED])
def test_dbt_fails_what_the_removed_pandera_rule_caught(
    dbt_on_bad_tables: DbtRun, breaks: str, old_rule: str, dbt_test: str
) -> None:
    # unique_id: test.crm360.<name>.<hash>
    results = {r["unique_id"].split(".")[2]: r for r in dbt_on_bad_tables.results}
    assert dbt_test in results, dbt_on_bad_tables.output[-3000:]
    # "fail", not "warn": an error-severity test, so `dbt build` fails the core step and the marts wait
    assert results[dbt_test]["status"] == "fail", results[dbt_test]
    assert results[dbt_test]["failures"] == 1  # the one broken row (or key); the clean rows pass
    assert dbt_on_bad_tables.returncode == 1


@pytest.mark.integration
def test_dbt_contract_rejects_a_drifted_column_type(tmp_path: Path) -> None:
    """The old pandera dtypes rule's case (csat arriving as text): the enforced contract of
    fct_interactions stops the model before it is built."""
    warehouse = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute(DDL)
        con.execute(
            """
            CREATE SCHEMA staging;
            CREATE TABLE staging.stg_callcenter__interactions AS
            SELECT 'I1' AS interaction_id, TIMESTAMP '2026-03-01 09:00' AS started_at,
                'AG-1' AS agent_id, 'phone' AS channel, 'inbound' AS direction, 'helpdesk' AS queue,
                'billing' AS reason, 'resolved' AS outcome, NULL::VARCHAR AS order_ref,
                TIMESTAMP '2026-03-01 09:02' AS answered_at, TIMESTAMP '2026-03-01 09:10' AS ended_at,
                30 AS hold_seconds, 60 AS wrap_seconds, false AS abandoned, true AS resolved,
                '5' AS csat, 10 AS nps;
            CREATE TABLE core.customer_identity_map (source_system VARCHAR, source_record_id VARCHAR,
                customer_key VARCHAR);
            -- a first build of the (incremental) model: an incremental one would read every staging table
            DROP TABLE core.fct_interactions;
            """
        )
    run = _dbt(["run", "--select", "fct_interactions"], warehouse, tmp_path)
    assert run.returncode == 1
    [result] = run.results
    assert result["status"] == "error"
    assert "contract" in result["message"].lower() and "csat" in result["message"], result["message"]
