"""The Spark build's own quality gate and Python marts, each a real Spark step on tables made for it.

Tables are written to a small DuckDB file and copied into a fresh Spark catalog by the mirror step;
the gates and kpi_marts steps then run on Spark, and their results are held against the DuckDB
checks and assets computing the same things from the same rows.
"""

from __future__ import annotations

import json
from typing import Any

import duckdb
import pytest

from pipelines.kpi.campaign_lift import build_campaign_lift
from pipelines.kpi.forecast import run_forecast
from pipelines.kpi.settings import KpiSettings
from pipelines.spark.compare import compare_table
from pipelines.spark.kpi_marts import COMPUTED
from quality.pandera_gate import validate_table
from tests.spark_helpers import leave_killed_writes, run_step, tables_in_spark

pytestmark = [pytest.mark.spark, pytest.mark.integration, pytest.mark.timeout(900)]

SETTINGS = KpiSettings(forecast_weeks=4, forecast_backtest_weeks=3, campaign_min_control_customers=50)

RETURNS = """
    create table core.fct_returns as
    select * from (values
        ('r1', 2, 10.00::decimal(12,2)), ('r2', -1, 5.00::decimal(12,2)), ('r3', 1, -3.50::decimal(12,2)),
        ('r4', 1, null)
    ) v(return_line_key, quantity_returned, refund_amount)
"""
# 20 weeks of two channels, a Wednesday start (the first, partial week is dropped) and a gap week
ORDER_LINES = """
    create table core.fct_order_lines as
    select
        case when i % 3 = 0 then 'online' else 'store' end as channel_key,
        timestamptz '2025-01-01 10:00:00+00' + to_days(i) as transaction_at,
        (10 + (i * 37) % 90)::decimal(12,2) as amount
    from range(140) t(i)
    where i not between 50 and 56
"""
CAMPAIGNS = """
    create table marts.kpi_campaign_performance as
    select * from (values
        ('c1', 'spring', 'email', timestamp '2025-03-01 08:00:00', true, 900, 300, 90, 12, 40, 6,
         4200.50::decimal(14,2), 900.25::decimal(14,2), 500.00::decimal(12,2)),
        ('c2', 'small', 'phone', timestamp '2025-04-01 09:30:00', false, 80, 20, 5, 1, 2, 0,
         100.00::decimal(14,2), 0.00::decimal(14,2), null)
    ) v(campaign_id, campaign_name, campaign_channel, launched_at, conversion_window_closed,
        treatment_customers, control_customers, treatment_responders, control_responders,
        treatment_converters, control_converters, treatment_revenue, control_revenue, campaign_cost)
"""

# New York's clocks fall back on 2025-11-02: 05:30 and 06:30 UTC are both 01:30 local time, which a
# round trip through the Python process's local time cannot tell apart.
FALL_BACK_CAMPAIGNS = CAMPAIGNS.replace("2025-03-01 08:00:00", "2025-11-02 05:30:00").replace(
    "2025-04-01 09:30:00", "2025-11-02 06:30:00"
)


@pytest.fixture(scope="module")
def spark_tables(tmp_path_factory) -> dict[str, Any]:
    """The tables in DuckDB and Spark, and DuckDB's campaign lift and forecast computed from them."""
    tables = ["core.fct_returns", "core.fct_order_lines", "marts.kpi_campaign_performance"]
    made = tables_in_spark(tmp_path_factory.mktemp("spark_marts"), [RETURNS, ORDER_LINES, CAMPAIGNS], tables)
    with duckdb.connect(str(made["warehouse"])) as con:
        con.execute("set TimeZone = 'UTC'")
        lift = build_campaign_lift(con, SETTINGS)
        forecast = run_forecast(con, SETTINGS.forecast_weeks, SETTINGS.forecast_backtest_weeks)
    return {**made, "lift": lift, "forecast": forecast}


def test_the_pandera_rules_count_on_spark_what_they_count_on_duckdb(spark_tables) -> None:
    """A negative quantity and a negative refund fail on Spark with DuckDB's counts and sample keys;
    a NULL refund passes on both; a rule whose columns the table lacks fails as could-not-run."""
    folder = str(spark_tables["folder"])
    done = run_step("pipelines.spark.gates", "--spark-dir", folder, "--stage", "core")
    spark = {r["check_name"]: r for r in map(json.loads, done.stdout.splitlines())}
    with duckdb.connect(str(spark_tables["warehouse"]), read_only=True) as con:
        duck = {r.check_name: r for r in validate_table(con, "core.fct_returns")}
    for name, expected in duck.items():
        got = spark[name]
        assert (got["passed"], got["failing_rows"]) == (expected.passed, expected.failing_rows), name
    assert spark["pandera:fct_returns:quantity_positive"]["failing_rows"] == 1
    assert "r2" in spark["pandera:fct_returns:quantity_positive"]["sample"]
    assert spark["pandera:fct_returns:refund_non_negative"]["failing_rows"] == 1
    # fct_order_lines here lacks unit_price: the rule cannot run and fails, never passes silently
    unit_price = spark["pandera:fct_order_lines:unit_price_non_negative"]
    assert not unit_price["passed"] and unit_price["failing_rows"] is None
    # fct_interactions is not in this catalog: its absence is an error
    assert not spark["pandera:fct_interactions:exists"]["passed"]


def test_campaign_lift_and_forecast_on_spark_equal_duckdbs(spark_tables) -> None:
    folder, warehouse = spark_tables["folder"], spark_tables["warehouse"]
    kpi = json.dumps(SETTINGS.plain())
    done = run_step("pipelines.spark.kpi_marts", "--spark-dir", str(folder), "--kpi", kpi)
    summary = json.loads(done.stdout.splitlines()[-1])
    lift, forecast = spark_tables["lift"], spark_tables["forecast"]
    assert summary["kpi_campaign_lift"] == lift and lift["campaigns"] == 2 and lift["with_roi"] == 1
    assert summary["sales_forecast"]["channels"] == forecast["channels"] == 2
    compare = ["--warehouse", str(warehouse), "--spark-dir", str(folder), *COMPUTED]
    run_step("pipelines.spark.compare", *compare, ok=(0, 1))  # the tables' differences are asserted below
    for table in COMPUTED:
        diff = compare_table(warehouse, table, folder / "compare")
        assert diff.equal and diff.duckdb_rows > 0, diff


def test_a_folder_a_killed_write_left_does_not_stop_the_next_write(spark_tables) -> None:
    """A step killed after Spark dropped a table and before the new one reached the metastore leaves
    files where the table was. The next run's mirror and kpi_marts steps replace them (Spark alone
    refuses to create a managed table over an existing folder) and the tables hold the right rows."""
    folder, warehouse = spark_tables["folder"], spark_tables["warehouse"]
    tables = ["core.fct_returns", "marts.kpi_campaign_lift"]
    leave_killed_writes(folder, tables)
    run_step("pipelines.spark.mirror", "--warehouse", str(warehouse), "--spark-dir", str(folder), tables[0])
    run_step("pipelines.spark.kpi_marts", "--spark-dir", str(folder), "--kpi", json.dumps(SETTINGS.plain()))
    compare = ["--warehouse", str(warehouse), "--spark-dir", str(folder), *tables]
    run_step("pipelines.spark.compare", *compare, ok=(0, 1))
    for name in tables:
        diff = compare_table(warehouse, name, folder / "compare")
        assert diff.equal and diff.duckdb_rows > 0, diff


def test_campaign_lift_keeps_launch_times_on_a_machine_outside_utc(tmp_path, monkeypatch) -> None:
    """The step run in New York's time zone writes each campaign's launched_at as DuckDB holds it,
    the two that fall in the repeated hour included."""
    monkeypatch.setenv("TZ", "America/New_York")
    tables = ["core.fct_order_lines", "marts.kpi_campaign_performance"]
    made = tables_in_spark(tmp_path, [ORDER_LINES, FALL_BACK_CAMPAIGNS], tables)
    folder, warehouse = made["folder"], made["warehouse"]
    run_step("pipelines.spark.kpi_marts", "--spark-dir", str(folder), "--kpi", json.dumps(SETTINGS.plain()))
    with duckdb.connect(str(warehouse)) as con:
        con.execute("set TimeZone = 'UTC'")
        build_campaign_lift(con, SETTINGS)
    lift = "marts.kpi_campaign_lift"
    run_step(
        "pipelines.spark.compare", "--warehouse", str(warehouse), "--spark-dir", str(folder), lift, ok=(0, 1)
    )
    diff = compare_table(warehouse, lift, folder / "compare")
    assert diff.equal and diff.duckdb_rows == 2, diff
