"""The dashboard tests' fixtures: a tiny hand-made warehouse (one small table per mart the dashboard
reads), its rendering, and headless Chromium opening the page offline."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd
from playwright.sync_api import Browser, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from pipelines.kpi.dashboard.formatting import Money
from pipelines.kpi.dashboard.queries import chart_data
from pipelines.kpi.dashboard.render import DashboardResult, render_dashboard

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

MARTS_SQL = (
    """
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
    + """
CREATE TABLE marts.kpi_acquisition AS SELECT * FROM (VALUES
    (DATE '2025-01-01', 'store', NULL, 5, true), (DATE '2025-01-01', 'web', 'C1', 2, true),
    (DATE '2025-01-01', 'web', NULL, 1, true), (DATE '2025-02-01', 'store', NULL, 3, false),
    (DATE '2025-02-01', NULL, NULL, 1, false))
    t(acquisition_month, first_touch_channel, campaign_id, new_customers, is_warm_up);
CREATE TABLE marts.kpi_churn AS SELECT * FROM (VALUES
    (DATE '2025-01-01', 0, 0, NULL, true), (DATE '2025-02-01', 10, 1, 0.1, true),
    (DATE '2025-03-01', 12, 3, 0.25, false))
    t(month, active_at_start, churned, churn_rate, month_complete);
CREATE TABLE marts.customer_churn AS SELECT * FROM (VALUES
    ('K1', false, 10, false, NULL, 'no_action'),
    ('K2', false, 95, true, 'falling_frequency', 'retention_offer'),
    ('K3', false, 120, true, 'complaint', 'service_recovery_call'),
    ('K4', true, 200, false, 'falling_frequency', 'win_back_offer'),
    ('K5', false, 30, true, 'bad_experience', 'service_recovery_call'),
    ('K6', false, 89, false, NULL, 'no_action'),
    ('K7', true, 250, false, 'complaint', 'service_recovery_call'))
    t(customer_key, is_churned, days_since_last_order, is_at_risk, churn_risk_reason, next_action);
CREATE TABLE marts.kpi_satisfaction AS SELECT * FROM (VALUES
    (DATE '2025-02-01', 'all', 4, 4.0, 4, 25.0), (DATE '2025-02-01', 'phone', 3, 13 / 3, 3, 100 / 3),
    (DATE '2025-02-01', 'chat', 1, 3.0, 1, 0.0), (DATE '2025-03-01', 'all', 2, 3.5, 2, -50.0),
    (DATE '2025-03-01', 'email', 2, 3.5, 2, -50.0))
    t(month, channel, csat_responses, avg_csat, nps_responses, nps);
CREATE TABLE marts.kpi_loyalty AS SELECT * FROM (VALUES
    ('non_member', 60, 35, 2000.00, 0.4, 0.7, 0.3, NULL),
    ('member', 40, 30, 3000.00, 0.6, 0.9, 0.5, 150.0))
    t(loyalty_status, customers, buyers, revenue, revenue_share, retention_rate, repeat_rate,
      avg_predicted_clv);
-- 12 pairs: every fourth has lift 0.8 (not shown), the others lift 1.5 + i / 10.
CREATE TABLE marts.kpi_product_pairs AS
    SELECT printf('SKU-%02d', i) AS sku_a, printf('SKU-%02d', i + 50) AS sku_b, 30 - i AS baskets_with_both,
           (30 - i) / 1000 AS support, 0.3 AS confidence_a_to_b, 0.2 AS confidence_b_to_a,
           CASE WHEN i % 4 = 0 THEN 0.8 ELSE 1.5 + i / 10 END AS lift
    FROM range(1, 13) r(i);
CREATE TABLE marts.bundle_candidates AS SELECT * FROM (VALUES
    ('SKU-01', 'SKU-51', 'Duvet Basic', 'Pillow Basic')) t(sku_a, sku_b, product_name_a, product_name_b);
CREATE TABLE marts.kpi_opt_in AS SELECT * FROM (VALUES
    ('sms', 100, 60, 20, 40, 15, 0.2), ('email', 100, 80, 50, 30, 45, 0.5),
    ('mail', 100, 20, 5, 15, 5, 0.05), ('phone', 100, 50, 10, 40, 10, 0.1))
    t(channel, customers, asked, opted_in, opted_out, reachable, opt_in_rate);
"""
)


def build_dashboard_warehouse(path: Path) -> Path:
    """Write the fixture warehouse to `path` and return it."""
    con = duckdb.connect(str(path))
    try:
        con.execute(MARTS_SQL)
    finally:
        con.close()
    return path


CHROMIUM = "/usr/bin/chromium"  # Debian's package; Playwright's own download fails here (STACK_NOTES)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

# Per chart figure: plotly's svg, the traces it holds and the marks it drew (heatmaps draw an image).
CHART_STATE_JS = """() => Array.from(document.querySelectorAll('[data-chart]')).map(fig => {
  const gd = fig.querySelector('.js-plotly-plot');
  const full = gd && gd._fullData ? gd._fullData : [];
  return {
    name: fig.dataset.chart,
    hasData: fig.dataset.hasData === 'true',
    svgs: fig.querySelectorAll('.main-svg').length,
    traces: full.length,
    points: full.reduce((n, t) => n + ((t.x && t.x.length) || (t.z && t.z.length) || 0), 0),
    drawn: fig.querySelectorAll('g.trace, .heatmaplayer image').length,
    noDataNote: fig.querySelector('.no-data') ? fig.querySelector('.no-data').innerText : null,
  };
})"""
ALL_DRAWN_JS = """() => Array.from(document.querySelectorAll('[data-has-data="true"]'))
  .every(f => f.querySelector('.main-svg'))"""


@dataclass
class PageReport:
    """What the browser saw: chart states, console errors, uncaught errors and every request."""

    charts: list[dict]
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def undrawn(self) -> list[str]:
        return [
            c["name"]
            for c in self.charts
            if not (c["hasData"] and c["svgs"] > 0 and c["traces"] > 0 and c["points"] > 0 and c["drawn"] > 0)
        ]


def open_dashboard(browser: Browser, path: Path) -> PageReport:
    """Load the file with every non-file request aborted and recorded; wait for the charts to draw."""
    context = browser.new_context(offline=True)
    page = context.new_page()
    report = PageReport(charts=[])
    page.on("request", lambda r: report.requests.append(r.url))
    page.on("console", lambda m: report.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: report.page_errors.append(str(e)))
    page.route(
        "**/*", lambda route: route.continue_() if route.request.url == path.as_uri() else route.abort()
    )
    page.goto(path.as_uri(), wait_until="load")
    # A chart that never draws times out here; the report below then says which one.
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(ALL_DRAWN_JS, timeout=5000)
    report.charts = page.evaluate(CHART_STATE_JS)
    context.close()
    return report


def launch_browser() -> Iterator[Browser]:
    """Headless Chromium for a module's `browser` fixture (yield from it)."""
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


def render(warehouse: Path, reports: Path, *writes: str, currency: str = "EUR") -> DashboardResult:
    """Render the fixture warehouse (a copy of it, changed by the SQL of `writes`, when given)."""
    if writes:
        copy = reports.parent / f"{reports.name}.duckdb"
        copy.write_bytes(warehouse.read_bytes())
        warehouse = copy
    con = duckdb.connect(str(warehouse), read_only=not writes)
    try:
        for sql in writes:
            con.execute(sql)
        return render_dashboard(con, reports, Money(currency))
    finally:
        con.close()


def chart_frames(warehouse: Path) -> dict[str, pd.DataFrame | None]:
    """Every chart's rows from the warehouse (None: no data)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {name: data.frame for name, data in chart_data(con).items()}
    finally:
        con.close()
