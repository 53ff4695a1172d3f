"""A tiny hand-made warehouse for the dashboard test: core facts for the tiles, one small table per mart."""

from __future__ import annotations

from pathlib import Path

import duckdb

# As of 2025-03-31 (last order day): current window 2025-03-02..03-31, previous 2025-01-31..03-01.
# Columns: only the ones pipelines/kpi/dashboard/queries.py reads.
CORE_SQL = """
CREATE SCHEMA core;
CREATE TABLE core.fct_order_lines (
    transaction_id VARCHAR, transaction_at TIMESTAMP, customer_key VARCHAR, amount DECIMAL(12, 2),
    is_shipped_order BOOLEAN, is_perfect_order BOOLEAN);
INSERT INTO core.fct_order_lines VALUES
    ('T1', '2025-03-31 10:00', 'c1', 100.00, true, true),
    ('T1', '2025-03-31 10:00', 'c1', 50.00, true, true),
    ('T2', '2025-03-15 12:00', 'c2', 200.00, true, true),
    ('T2', '2025-03-15 12:00', 'c2', 30.00, true, false),
    ('T3', '2025-03-02 00:00', NULL, 20.00, false, NULL),
    ('T4', '2025-03-20 09:00', 'c3', 80.00, true, NULL),
    ('T5', '2025-03-01 23:59', 'c1', 60.00, true, true),
    ('T6', '2025-02-10 08:00', 'c4', 40.00, false, NULL),
    ('T7', '2025-01-31 00:00', 'c2', 10.00, true, false),
    ('T9', '2025-02-15 14:00', 'c4', 25.00, true, true),
    ('T8', '2025-01-30 16:00', 'c1', 500.00, false, NULL);
CREATE TABLE core.fct_returns (returned_at TIMESTAMP, refund_amount DECIMAL(12, 2));
INSERT INTO core.fct_returns VALUES
    ('2025-03-10 10:00', 30.00), ('2025-02-20 10:00', 15.00), ('2025-01-01 10:00', 999.00);
CREATE TABLE core.fct_interactions (
    started_at TIMESTAMP, channel VARCHAR, direction VARCHAR, answered_at TIMESTAMP,
    wait_seconds INTEGER, nps INTEGER);
INSERT INTO core.fct_interactions VALUES
    ('2025-03-31 23:30', 'phone', 'inbound', '2025-03-31 23:30:10', 10, 10),
    ('2025-03-20 10:00', 'phone', 'inbound', '2025-03-20 10:00:20', 20, 9),
    ('2025-03-19 10:00', 'chat', 'inbound', '2025-03-19 10:00:25', 25, 7),
    ('2025-03-18 10:00', 'phone', 'inbound', NULL, NULL, NULL),
    ('2025-03-17 10:00', 'email', 'inbound', '2025-03-17 10:00:05', 5, 0),
    ('2025-03-16 10:00', 'phone', 'outbound', '2025-03-16 10:00:03', 3, NULL),
    ('2025-02-20 10:00', 'phone', 'inbound', '2025-02-20 10:00:05', 5, 6),
    ('2025-02-21 10:00', 'phone', 'inbound', '2025-02-21 10:00:15', 15, 10),
    ('2025-03-01 10:00', 'chat', 'inbound', '2025-03-01 10:01:00', 60, NULL);
"""

# Hand-computed from CORE_SQL: (current, previous) of each tile.
EXPECTED_TILES: dict[str, tuple[float, float]] = {
    "net_revenue": (480.0 - 30.0, 135.0 - 15.0),  # sales T1-T4 / T5,T6,T7,T9; refunds 03-10 / 02-20
    "orders": (4.0, 4.0),
    "active_customers": (3.0, 3.0),  # c1,c2,c3 / c1,c2,c4; the anonymous T3 does not count
    "new_customers": (1.0, 2.0),  # c3 / c2 (first on 01-31), c4; c1 first bought on 01-30
    "perfect_order_rate": (1 / 2, 2 / 3),  # T1 yes, T2 no, T4 undelivered / T5, T9 yes, T7 no
    "service_level": (2 / 4, 2 / 3),  # waits 10, 20 (<= 20 counts), 25, abandoned / 5, 15, 60
    "nps": (100 * (2 - 1) / 4, 100 * (1 - 1) / 2),  # 10, 9, 7, 0 / 6, 10
}
EXPECTED_CHANGES: dict[str, float] = {
    "net_revenue": (450 - 120) / 120,
    "orders": 0.0,
    "active_customers": 0.0,
    "new_customers": -0.5,
    "perfect_order_rate": 1 / 2 - 2 / 3,
    "service_level": 2 / 4 - 2 / 3,
    "nps": 25.0,
}

MARTS_SQL = """
CREATE SCHEMA marts;
CREATE TABLE marts.kpi_cohort_retention AS SELECT * FROM (VALUES
    (DATE '2025-01-01', 0, 1.0, 10), (DATE '2025-01-01', 1, 0.4, 10), (DATE '2025-01-01', 2, 0.3, 10),
    (DATE '2025-02-01', 0, 1.0, 8), (DATE '2025-02-01', 1, 0.25, 8))
    t(cohort_month, months_since_first, retention_rate, cohort_size);
CREATE TABLE marts.customer_clv AS SELECT range::DOUBLE AS clv FROM range(100);
INSERT INTO marts.customer_clv VALUES (NULL);
CREATE TABLE marts.kpi_pareto AS SELECT * FROM (VALUES (1, 0.2, 0.25), (50, 0.8, 0.85), (100, 1.0, 1.0))
    t(customer_percentile, cumulative_revenue_share, cumulative_margin_share);
CREATE TABLE marts.kpi_rfm_segments AS SELECT * FROM (VALUES
    ('champions', 5, 900.0), ('at_risk', 12, 400.0), ('lost', 30, 100.0)) t(segment, customers, revenue);
CREATE TABLE marts.kpi_campaign_performance AS SELECT * FROM (VALUES
    ('C1', 'spring email', DATE '2025-02-01', 0.10, 0.05, 0.04, 0.02, 1.0),
    ('C2', 'sms promo', DATE '2025-03-01', 0.08, 0.06, 0.03, 0.025, 0.2))
    t(campaign_id, campaign_name, launched_at, treatment_response_rate, control_response_rate,
      treatment_conversion_rate, control_conversion_rate, conversion_lift);
CREATE TABLE marts.kpi_call_center_daily AS SELECT * FROM (VALUES
    (DATE '2025-03-01', 10, 8, 1), (DATE '2025-03-01', 30, 12, 6), (DATE '2025-03-02', 20, 15, 2))
    t(date_day, offered, answered_within_sl, abandoned);
CREATE TABLE marts.kpi_perfect_order AS SELECT * FROM (VALUES
    (DATE '2025-01-01', 0.9, 0.95, 0.98, 0.99, 0.83), (DATE '2025-02-01', 0.85, 0.93, 0.97, 0.99, 0.77))
    t(month, on_time_rate, in_full_rate, damage_free_rate, documentation_ok_rate, perfect_order_rate);
CREATE TABLE marts.kpi_returns_by_reason AS SELECT * FROM (VALUES
    ('returns', 40, 1200.0), ('repair', 5, 300.0), ('recall', 2, 80.0))
    t(return_reason, returns, refund_value);
CREATE TABLE marts.sales_forecast AS SELECT * FROM (VALUES
    ('store', DATE '2025-03-03', 'actual', 100.0, NULL, NULL),
    ('store', DATE '2025-03-10', 'actual', 120.0, NULL, NULL),
    ('store', DATE '2025-03-17', 'actual', 110.0, NULL, NULL),
    ('store', DATE '2025-03-17', 'backtest', 115.0, 90.0, 140.0),
    ('store', DATE '2025-03-24', 'forecast', 112.0, 80.0, 150.0),
    ('store', DATE '2025-03-31', 'forecast', 113.0, 75.0, 155.0))
    t(channel_key, week_start, kind, revenue, lower, upper);
"""


def build_dashboard_warehouse(path: Path) -> Path:
    """Write the fixture warehouse to `path` and return it."""
    con = duckdb.connect(str(path))
    try:
        con.execute(CORE_SQL)
        con.execute(MARTS_SQL)
    finally:
        con.close()
    return path
