"""A tiny hand-made warehouse for the dashboard test: one small table per mart the dashboard reads."""

from __future__ import annotations

from pathlib import Path

import duckdb

# As of 2025-03-31 (last order day): current window 2025-03-02..03-31, previous 2025-01-31..03-01.
# The dashboard reads marts only (no core schema here); columns: only the ones
# pipelines/kpi/dashboard/queries.py reads. kpi_headline's figures are what dbt would compute:
# net revenue 480 - 30 and 135 - 15, perfect orders 1 of 2 and 2 of 3, service level 2/4 and
# 2/3, NPS 25 and 0, new customers 1 (in the warm-up) and 2.
EXPECTED_TILES: dict[str, tuple[float, float]] = {
    "net_revenue": (450.0, 120.0),
    "orders": (4.0, 4.0),
    "active_customers": (3.0, 3.0),
    "new_customers": (1.0, 2.0),
    "perfect_order_rate": (1 / 2, 2 / 3),
    "service_level": (2 / 4, 2 / 3),
    "nps": (25.0, 0.0),
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
CREATE TABLE marts.kpi_headline AS SELECT * FROM (VALUES
    ('current', DATE '2025-03-02', DATE '2025-03-31', 450.00, 4, 3, 1, true, 2, 1, 0.5, 4, 2, 0.5, 4, 25.0),
    ('previous', DATE '2025-01-31', DATE '2025-03-01', 120.00, 4, 3, 2, true, 3, 2, 2/3, 3, 2, 2/3, 2, 0.0))
    t(window_name, window_start, window_end, net_revenue, orders, active_customers, new_customers,
      new_customers_in_warm_up, measured_orders, perfect_orders, perfect_order_rate, sl_offered,
      sl_answered_within, service_level, nps_responses, nps);
CREATE TABLE marts.kpi_cohort_retention AS SELECT * FROM (VALUES
    (DATE '2025-01-01', 0, 0.6, 10, true, false), (DATE '2025-01-01', 1, 0.4, 10, true, false),
    (DATE '2025-01-01', 2, 0.3, 10, true, false),
    (DATE '2025-02-01', 0, 0.5, 8, false, true), (DATE '2025-02-01', 1, 0.25, 8, false, false))
    t(cohort_month, months_since_first, retention_rate, cohort_size, is_warm_up, is_complete);
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
CREATE TABLE marts.kpi_service_level_daily AS SELECT * FROM (VALUES
    (DATE '2025-03-01', 40, 0.5, 0.175, 0.5, 0.175), (DATE '2025-03-02', 20, 0.75, 0.1, 35 / 60, 0.15))
    t(date_day, offered, service_level, abandonment_rate, service_level_7d, abandonment_rate_7d);
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
        con.execute(MARTS_SQL)
    finally:
        con.close()
    return path
