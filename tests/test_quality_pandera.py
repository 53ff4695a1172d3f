"""Pandera gate on hand-made core tables: clean rows pass, each injected violation fails its named rule.

The rules pandera no longer states (types, keys, references, accepted values, SCD2 ranges) are dbt's:
tests/test_quality_moved_to_dbt.py feeds the same tables their old violations and sees dbt fail."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.config import load_settings
from pipelines.defs.checks.pandera import pandera_checks
from pipelines.defs.quality_resource import QualityResource
from pipelines.defs.resources import WarehouseResource
from quality.calibration import DistributionSettings
from quality.pandera_gate import validate_table
from quality.pandera_rules import to_pandera
from quality.pandera_schemas import SPECS, specs
from quality.results import ERROR, WARN, CheckResult

DDL = """
CREATE SCHEMA core; CREATE SCHEMA marts;
CREATE TABLE core.dim_customer (customer_sk VARCHAR, customer_key VARCHAR, version_number INTEGER,
    valid_from DATE, valid_to DATE, is_current BOOLEAN);
CREATE TABLE core.dim_product (product_key VARCHAR, sku VARCHAR);
CREATE TABLE core.fct_order_lines (order_line_key VARCHAR, transaction_id VARCHAR, line_number INTEGER,
    transaction_at TIMESTAMP, date_key INTEGER, customer_key VARCHAR, customer_sk VARCHAR,
    product_key VARCHAR, store_key VARCHAR, channel_key VARCHAR, quantity INTEGER,
    unit_price DECIMAL(12,2), discount DECIMAL(12,2), amount DECIMAL(12,2), shipped_at TIMESTAMP,
    delivered_at TIMESTAMP, quantity_ordered INTEGER, quantity_shipped INTEGER);
CREATE TABLE core.fct_returns (return_line_key VARCHAR, transaction_id VARCHAR, line_number INTEGER,
    returned_at TIMESTAMP, customer_sk VARCHAR, product_key VARCHAR, quantity_returned INTEGER,
    unit_price DECIMAL(12,2), refund_amount DECIMAL(12,2), return_reason VARCHAR);
CREATE TABLE core.fct_interactions (interaction_id VARCHAR, started_at TIMESTAMP, customer_sk VARCHAR,
    answered_at TIMESTAMP, ended_at TIMESTAMP, hold_seconds INTEGER, wrap_seconds INTEGER,
    csat INTEGER, nps INTEGER);
CREATE TABLE core.fct_web_sessions (session_id VARCHAR, customer_key VARCHAR, session_started_at TIMESTAMP,
    session_ended_at TIMESTAMP, duration_seconds INTEGER, events INTEGER);
CREATE TABLE marts.customer_360 (customer_key VARCHAR, customer_sk VARCHAR, touchpoints INTEGER,
    orders INTEGER, returns INTEGER, web_sessions INTEGER, interactions INTEGER,
    campaign_responses INTEGER, order_value DECIMAL(14,2), return_value DECIMAL(14,2));
INSERT INTO core.dim_customer VALUES
    ('sk1', 'C1', 1, '2026-01-01', '2026-02-01', false), ('sk2', 'C1', 2, '2026-02-01', '9999-12-31', true),
    ('sk3', 'C2', 1, '2026-01-01', '9999-12-31', true);
INSERT INTO core.dim_product VALUES ('p1', 'SKU-1'), ('p2', 'SKU-2');
-- 30 days of one 10.00 line, so the revenue band has a trailing median; every other day anonymous
INSERT INTO core.fct_order_lines
SELECT 'L' || i, 'T' || i, 1, TIMESTAMP '2026-03-01 10:00:00' + INTERVAL (i) DAY, 0,
    CASE WHEN i % 2 = 0 THEN 'C2' END, CASE WHEN i % 2 = 0 THEN 'sk3' END, 'p1', 's1', 'store',
    2, 5.00, 0.00, 10.00, NULL, NULL, NULL, NULL
FROM range(30) r(i);
INSERT INTO core.fct_order_lines VALUES ('S1', 'T-S', 1, '2026-03-05 10:00', 0, 'C1', 'sk2', 'p2', 'ONLINE',
    'online', 1, 4.00, 1.00, 3.00, '2026-03-06 08:00', '2026-03-07 09:00', 1, 1);
INSERT INTO core.fct_returns VALUES
    ('R1', 'T-R', 1, '2026-03-10 10:00', 'sk3', 'p1', 1, 5.00, 5.00, 'repair'),
    ('R2', 'T-R', 2, '2026-03-10 10:00', NULL, 'p2', 2, 4.00, 8.00, 'returns');
INSERT INTO core.fct_interactions VALUES
    ('I1', '2026-03-01 09:00', 'sk3', '2026-03-01 09:02', '2026-03-01 09:10', 30, 60, 5, 10),
    ('I2', '2026-03-01 10:00', NULL, NULL, '2026-03-01 10:05', NULL, NULL, NULL, NULL);
INSERT INTO core.fct_web_sessions VALUES ('W1', 'C1', '2026-03-01 09:00', '2026-03-01 09:10', 600, 4),
    ('W2', NULL, '2026-03-01 11:00', '2026-03-01 11:00', 0, 1);
INSERT INTO marts.customer_360 VALUES ('C1', 'sk2', 3, 1, 0, 0, 0, 0, 3.00, NULL),
    ('C2', 'sk3', 20, 15, 1, 2, 1, 0, 150.00, 5.00);
"""

# (table, UPDATE's SET ... WHERE that breaks it, the one rule that must fail)
VIOLATIONS = [
    ("core.fct_order_lines", "SET quantity_shipped = 2 WHERE order_line_key = 'S1'",
     "pandera:fct_order_lines:shipped_le_ordered"),
    ("core.fct_order_lines",
     "SET delivered_at = '2026-03-05 12:00' WHERE order_line_key = 'S1'",
     "pandera:fct_order_lines:delivered_after_shipped"),
    ("core.fct_order_lines", "SET amount = 11.00 WHERE order_line_key = 'L3'",
     "pandera:fct_order_lines:amount_consistent"),
    ("core.fct_order_lines", "SET unit_price = -5.00, amount = -10.00 WHERE order_line_key = 'L5'",
     "pandera:fct_order_lines:unit_price_non_negative"),
    ("core.fct_returns", "SET quantity_returned = -1 WHERE return_line_key = 'R1'",
     "pandera:fct_returns:quantity_positive"),
    ("core.fct_returns", "SET refund_amount = -8.00 WHERE return_line_key = 'R2'",
     "pandera:fct_returns:refund_non_negative"),
    ("core.fct_interactions", "SET csat = 7 WHERE interaction_id = 'I1'",
     "pandera:fct_interactions:csat_1_5"),
    ("core.fct_interactions", "SET nps = 11 WHERE interaction_id = 'I1'",
     "pandera:fct_interactions:nps_0_10"),
    ("core.fct_interactions", "SET hold_seconds = -30 WHERE interaction_id = 'I1'",
     "pandera:fct_interactions:hold_wrap_non_negative"),
    ("core.fct_interactions",
     "SET answered_at = '2026-03-01 08:59' WHERE interaction_id = 'I1'",
     "pandera:fct_interactions:answered_within_contact"),
    ("marts.customer_360", "SET orders = -1 WHERE customer_key = 'C1'",
     "pandera:customer_360:counts_non_negative"),
    ("marts.customer_360", "SET return_value = -5.00 WHERE customer_key = 'C2'",
     "pandera:customer_360:values_non_negative"),
]  # fmt: skip


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = duckdb.connect()
    c.execute(DDL)
    yield c
    c.close()


def _failed(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {r.check_name: r for r in results if not r.passed}


@pytest.mark.parametrize("table", list(SPECS))
def test_clean_tables_pass_every_rule(con: duckdb.DuckDBPyConnection, table: str) -> None:
    results = validate_table(con, table)
    assert results and _failed(results) == {}
    assert all(r.failing_rows == 0 and r.asset == table for r in results)
    assert len({r.check_name for r in results}) == len(results)  # names are unique per table


@pytest.mark.parametrize(
    ("table", "breaks", "rule"), VIOLATIONS, ids=[v[2].split(":", 1)[1] for v in VIOLATIONS]
)
def test_violation_fails_exactly_its_rule(
    con: duckdb.DuckDBPyConnection, table: str, breaks: str, rule: str
) -> None:
    con.execute(f"UPDATE {table} {breaks}")
    failed = _failed(validate_table(con, table))
    assert list(failed) == [rule]
    result = failed[rule]
    assert result.severity == ERROR and result.failing_rows and result.failing_rows >= 1
    assert 1 <= len(result.sample["rows"]) <= 5
    json.dumps(result.sample, default=str)  # recordable


ALL_ANONYMOUS_AND_A_SPIKE = (
    # every sale anonymous: share 1.0 > 0.6; one day at 100x the median of the days before
    "UPDATE core.fct_order_lines SET customer_key = NULL, customer_sk = NULL",
    "UPDATE core.fct_order_lines SET quantity = 200, amount = 1000.00 WHERE order_line_key = 'L20'",
)


def test_distribution_rules(con: duckdb.DuckDBPyConnection) -> None:
    for sql in ALL_ANONYMOUS_AND_A_SPIKE:
        con.execute(sql)
    spec = specs(DistributionSettings(anonymous_share_min_lines=31))["core.fct_order_lines"]  # 31 lines
    failed = _failed(validate_table(con, "core.fct_order_lines", spec))
    assert set(failed) == {
        "pandera:fct_order_lines:anonymous_share",
        "pandera:fct_order_lines:daily_revenue_band",
    }
    share = failed["pandera:fct_order_lines:anonymous_share"]
    assert share.severity == WARN  # a distribution rule warns unless configured otherwise
    assert share.sample["rows"][0]["share"] == 1.0 and share.sample["rows"][0]["min_lines"] == 31
    band = failed["pandera:fct_order_lines:daily_revenue_band"]
    assert band.severity == WARN and band.failing_rows == 1
    assert str(band.sample["rows"][0]["day"]) == "2026-03-21"


def test_distribution_rules_need_a_minimum_sample(con: duckdb.DuckDBPyConnection) -> None:
    # 31 lines, all anonymous, is below the default minimum sample: no verdict, even as an error
    for sql in ALL_ANONYMOUS_AND_A_SPIKE:
        con.execute(sql)
    strict = DistributionSettings(severity=ERROR, revenue_band_min_prior_days=29)
    results = validate_table(con, "core.fct_order_lines", specs(strict)["core.fct_order_lines"])
    assert _failed(results) == {}
    assert {r.check_name: r.severity for r in results}["pandera:fct_order_lines:anonymous_share"] == ERROR


def test_distribution_rule_with_enough_sample_and_error_severity_fails(
    con: duckdb.DuckDBPyConnection,
) -> None:
    con.execute(
        "UPDATE core.fct_order_lines SET customer_key = NULL, customer_sk = NULL WHERE order_line_key <> 'L0'"
    )
    strict = DistributionSettings(severity=ERROR, max_anonymous_share=0.9, anonymous_share_min_lines=31)
    failed = _failed(validate_table(con, "core.fct_order_lines", specs(strict)["core.fct_order_lines"]))
    assert list(failed) == ["pandera:fct_order_lines:anonymous_share"]
    assert failed["pandera:fct_order_lines:anonymous_share"].severity == ERROR
    # the default calibration (warn, 200 lines) says nothing about the same table
    assert _failed(validate_table(con, "core.fct_order_lines")) == {}


def test_distribution_settings_from_the_environment() -> None:
    env = {"CRM360_DISTRIBUTION_SEVERITY": "ERROR", "CRM360_MAX_ANONYMOUS_SHARE": "0.9",
           "CRM360_ANONYMOUS_SHARE_MIN_LINES": "50", "CRM360_REVENUE_BAND_HIGH": ""}  # fmt: skip
    dist = load_settings(data_dir=Path("/tmp/x"), env=env).distribution
    assert dist == DistributionSettings(severity=ERROR, max_anonymous_share=0.9, anonymous_share_min_lines=50)
    assert QualityResource.from_settings(load_settings(Path("/tmp/x"), env)).distribution() == dist
    assert load_settings(data_dir=Path("/tmp/x"), env={}).distribution.severity == WARN
    with pytest.raises(ValueError, match="severity"):
        load_settings(data_dir=Path("/tmp/x"), env={"CRM360_DISTRIBUTION_SEVERITY": "fatal"})


def test_a_rule_that_cannot_run_fails_without_crashing(con: duckdb.DuckDBPyConnection) -> None:
    # Column types are the dbt contract's (tests/test_quality_moved_to_dbt.py): here a rule whose
    # column is gone or has drifted cannot run, and that is a failure, never a pass.
    con.execute("ALTER TABLE core.fct_interactions DROP COLUMN nps")
    con.execute("ALTER TABLE core.fct_interactions ALTER csat TYPE VARCHAR")
    failed = _failed(validate_table(con, "core.fct_interactions"))
    assert set(failed) == {"pandera:fct_interactions:nps_0_10", "pandera:fct_interactions:csat_1_5"}
    assert all(f.failing_rows is None and f.severity == ERROR for f in failed.values())  # could not run
    assert "nps" in failed["pandera:fct_interactions:nps_0_10"].sample["error"]


def test_pandera_schema_validates_in_duckdb(con: duckdb.DuckDBPyConnection) -> None:
    import ibis
    import pandera.errors

    backend = ibis.duckdb.from_connection(con)
    schema = to_pandera(SPECS["core.fct_interactions"])
    schema.validate(backend.table("fct_interactions", database="core"), lazy=True)
    con.execute("UPDATE core.fct_interactions SET nps = 11 WHERE interaction_id = 'I1'")
    with pytest.raises(pandera.errors.SchemaErrors, match="nps_0_10"):
        schema.validate(backend.table("fct_interactions", database="core"), lazy=True)


def test_blocking_check_stops_downstream_and_records(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    setup = duckdb.connect(str(warehouse))
    setup.execute(DDL)
    setup.close()

    @dg.asset(key=["core", "fct_order_lines"])
    def fct_order_lines(warehouse: WarehouseResource) -> None:
        # a stand-in for the dbt model that ships more than was ordered
        with warehouse.connect() as c:
            c.execute("UPDATE core.fct_order_lines SET quantity_shipped = 5 WHERE order_line_key = 'S1'")

    downstream_ran: list[bool] = []

    @dg.asset(key=["marts", "downstream"], deps=[fct_order_lines])
    def downstream() -> None:
        downstream_ran.append(True)

    key = dg.AssetKey(["core", "fct_order_lines"])
    [check] = [c for c in pandera_checks if any(k.asset_key == key for k in c.check_keys)]
    result = dg.materialize(
        [fct_order_lines, downstream, check],
        resources={
            "warehouse": WarehouseResource(path=str(warehouse)),
            "quality": QualityResource.from_settings(load_settings(tmp_path, env={})),
        },
        raise_on_error=False,
    )
    assert not downstream_ran
    mats = {e.asset_key for e in result.get_asset_materialization_events()}
    assert dg.AssetKey(["marts", "downstream"]) not in mats
    [evaluation] = result.get_asset_check_evaluations()
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    assert "pandera:fct_order_lines:shipped_le_ordered" in (evaluation.description or "")
    assert evaluation.metadata["pandera:fct_order_lines:shipped_le_ordered"].value == 1
    assert evaluation.metadata["failed_rules"].value == ["pandera:fct_order_lines:shipped_le_ordered"]

    with duckdb.connect(str(warehouse), read_only=True) as c:
        recorded = c.execute(
            "SELECT check_name, failing_rows, sample FROM audit.check_results WHERE NOT passed"
        ).fetchall()
    assert [(name, rows) for name, rows, _ in recorded] == [("pandera:fct_order_lines:shipped_le_ordered", 1)]
    assert json.loads(recorded[0][2])["rows"][0]["order_line_key"] == "S1"
