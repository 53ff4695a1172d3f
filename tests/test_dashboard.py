"""KPI dashboard: tiles and charts from hand-made marts, then the HTML opened offline in headless Chromium."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from playwright.sync_api import Browser

from pipelines.kpi.dashboard.catalog import CHARTS
from pipelines.kpi.dashboard.queries import chart_sql
from pipelines.kpi.dashboard.render import DashboardResult
from pipelines.kpi.dashboard.sql import CHART_SQL, HEADLINE_SQL
from tests.dashboard_fixtures import (
    EXPECTED_CHANGES,
    EXPECTED_TILES,
    build_dashboard_warehouse,
    chart_frames,
    launch_browser,
    open_dashboard,
    render,
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from launch_browser()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_dashboard_warehouse(tmp_path_factory.mktemp("dash") / "wh.duckdb")


@pytest.fixture(scope="module")
def rendered(warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> DashboardResult:
    return render(warehouse, tmp_path_factory.mktemp("reports"))


def test_tiles_are_the_headline_mart(rendered) -> None:
    assert str(rendered.as_of) == "2025-03-31"
    tiles = {t.key: t for t in rendered.tiles}
    assert list(tiles) == list(EXPECTED_TILES)
    for key, (value, previous) in EXPECTED_TILES.items():
        assert (tiles[key].value, tiles[key].previous) == pytest.approx((value, previous)), key
        assert tiles[key].change == pytest.approx(EXPECTED_CHANGES[key]), key
    page = rendered.path.read_text(encoding="utf-8")
    assert re.search(
        r'data-tile="net_revenue" data-value="450.0" data-previous="120.0" data-change="2.75"', page
    )
    assert "+275.0%" in page and "-16.7 pp" in page and "+25.0 points" in page
    assert "Tiles: last 30 days against the 30 days before" in page
    # The current window starts in the acquisition warm-up: the tile says so, the others do not.
    assert [t.key for t in rendered.tiles if t.note] == ["new_customers"]
    assert re.search(r'data-tile="new_customers"[^>]*data-flagged="true"', page)
    assert "warm-up: includes customers older than the data" in page


def test_amounts_carry_the_configured_currency(rendered, warehouse: Path, tmp_path: Path) -> None:
    """The revenue tile, the amount axes and the tooltips name the currency; another setting, another."""
    page = rendered.path.read_text(encoding="utf-8")
    assert rendered.currency == "EUR" and "Amounts in EUR (€)." in page
    assert re.search(
        r'class="value">€450</div>\s*<div class="change up">\+275\.0%</div>\s*'
        r'<div class="previous">previous: €120</div>',
        page,
    )
    # axes of revenue (RFM), net sales (forecast) and CLV; the refunds tooltip of returns
    assert page.count('"tickprefix":"€"') == 3 and "revenue (EUR)" in page
    assert "refunded €%{customdata:,.0f}" in page
    swiss = render(warehouse, tmp_path / "chf", currency="CHF")
    page = swiss.path.read_text(encoding="utf-8")
    assert 'class="value">CHF 450</div>' in page and "Amounts in CHF." in page
    assert page.count('"tickprefix":"CHF "') == 3 and "€" not in page.split("<script>")[0]


def test_codes_read_as_labels(rendered) -> None:
    """Return reasons, RFM segments and channels show their labels, not the marts' codes."""
    page = rendered.path.read_text(encoding="utf-8")
    assert '"x":["Customer return (changed mind)","Sent for repair","Product recall"]' in page
    assert '"x":["Lost","At risk","Champions"]' in page
    assert '"y":["E-mail","SMS (text message)","Phone call","Letter (post)"]' in page
    assert '"name":"Web site visit"' in page and '"name":"Store forecast"' in page
    assert not re.search(r'"x":\["returns"|"x":\["lost"|"name":"store ', page)


def test_no_kpi_is_defined_outside_the_marts(warehouse: Path) -> None:
    """Every query of the dashboard reads schema marts, none a core fact."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        filled = chart_sql(con)
    finally:
        con.close()
    for sql in (HEADLINE_SQL, *CHART_SQL.values(), *filled.values()):
        assert "marts." in sql and "core." not in sql


def test_chart_rows_are_the_marts_rows(warehouse: Path) -> None:
    data = chart_frames(warehouse)
    calls = data["call_center"]
    assert calls["service_level"].tolist() == pytest.approx([0.5, 0.75])
    assert calls["service_level_7d"].tolist() == pytest.approx([0.5, 35 / 60])
    cohorts = data["cohort_retention"]
    assert cohorts["is_warm_up"].tolist() == [True] * 3 + [False] * 2
    clv = data["clv_distribution"]
    # CLV 0..99: p99 = 98.01, bin width 3.267; bin 0 holds 0-3, the last bin 95-99 (99 capped in).
    assert clv["customers"].sum() == 100
    assert clv.iloc[0]["customers"] == 4 and clv.iloc[-1]["bin"] == 29 and clv.iloc[-1]["customers"] == 5
    assert clv.iloc[0]["width"] == pytest.approx(98.01 / 30)


def test_warm_up_cohorts_are_labelled(rendered) -> None:
    page = rendered.path.read_text(encoding="utf-8")
    assert "2025-01 (warm-up)" in page and "2025-02 (warm-up)" not in page


def test_page_is_self_contained(rendered) -> None:
    page = rendered.path.read_text(encoding="utf-8")
    assert rendered.path.name == "kpi_dashboard.html"
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=|<img[^>]+src=\"?http", page)
    assert page.count("Plotly.newPlot(") == len(CHARTS)
    assert rendered.charts_with_data == list(CHARTS) and rendered.charts_without_data == []


# Traces and points charts draw from the fixture: a chart that lost a series shows here.
DRAWN = {
    # the heatmap (3 month columns) and markers on the 4 incomplete cells (January's, February k=1)
    "cohort_retention": (2, 3 + 4),
    "acquisition": (3, 4),  # a bar per channel (store, web, unknown); 4 month-channel rows
    "churn": (2, 6),  # churned bars and the rate line, 3 months each
    "churn_status": (4, 6),  # stacked by reason (none, bad experience, complaint, falling frequency)
    "loyalty": (2, 6),  # members and non-members, 3 measures each
    "satisfaction": (5, 2 + 2 + 1 + 1 + 1),  # CSAT, NPS of all channels, NPS of chat, e-mail, phone
    "opt_in": (4, 16),  # 4 parts of 4 channels
    "product_pairs": (1, 9),
}


def test_every_chart_renders_offline_in_chromium(rendered, browser: Browser) -> None:
    report = open_dashboard(browser, rendered.path)
    assert [c["name"] for c in report.charts] == list(CHARTS)
    assert report.undrawn() == []
    assert report.console_errors == [] and report.page_errors == []
    assert report.requests == [rendered.path.as_uri()]
    drawn = {c["name"]: (c["traces"], c["points"]) for c in report.charts if c["name"] in DRAWN}
    assert drawn == DRAWN


def test_a_broken_chart_is_detected(rendered, browser: Browser, tmp_path: Path) -> None:
    page = rendered.path.read_text(encoding="utf-8")
    # Sabotage one chart's plot call: the kind of JS error a bad figure or template would cause.
    marker = 'Plotly.newPlot(                        "plot-pareto"'
    assert marker in page
    broken = tmp_path / "broken.html"
    broken.write_text(page.replace(marker, marker.replace("newPlot", "newPlotBroken")), encoding="utf-8")
    report = open_dashboard(browser, broken)
    assert report.undrawn() == ["pareto"]
    assert any("newPlotBroken" in e for e in report.page_errors)


EMPTIED = (
    "DROP TABLE marts.kpi_returns_by_reason",
    "DELETE FROM marts.kpi_pareto",
    "UPDATE marts.customer_clv SET clv = NULL",
    "UPDATE marts.kpi_perfect_order SET perfect_order_rate = NULL",
    "DROP TABLE marts.kpi_loyalty",
    "DELETE FROM marts.kpi_acquisition",
    "DELETE FROM marts.kpi_churn",
    "DELETE FROM marts.customer_churn",
    "DELETE FROM marts.kpi_satisfaction",
    "DELETE FROM marts.kpi_opt_in",
    "UPDATE marts.kpi_product_pairs SET lift = 0.9",
    "DROP TABLE marts.bundle_candidates",
)
EMPTY_NOTES = {
    "acquisition": "No data yet: marts.kpi_acquisition is empty",
    "churn": "No data yet: marts.kpi_churn is empty",
    "churn_status": "No data yet: marts.customer_churn is empty",
    "clv_distribution": "No data yet: marts.customer_clv has 101 rows, no clv values",
    "pareto": "No data yet: marts.kpi_pareto is empty",
    "loyalty": "No data yet: marts.kpi_loyalty does not exist (not built yet)",
    "satisfaction": "No data yet: marts.kpi_satisfaction is empty",
    "opt_in": "No data yet: marts.kpi_opt_in is empty",
    "product_pairs": "No data yet: marts.kpi_product_pairs has 12 rows, "
    "no product pair is bought together more often than chance (lift above 1)",
    "perfect_order": "No data yet: marts.kpi_perfect_order has 2 rows, no perfect_order_rate values",
    "returns_by_reason": "No data yet: marts.kpi_returns_by_reason does not exist (not built yet)",
}


def test_no_rows_and_no_values_are_told_apart(warehouse: Path, tmp_path: Path, browser: Browser) -> None:
    result = render(warehouse, tmp_path / "reports", *EMPTIED)
    assert result.charts_without_data == [n for n in CHARTS if n in EMPTY_NOTES]
    report = open_dashboard(browser, result.path)
    notes = {c["name"]: c["noDataNote"] for c in report.charts if c["noDataNote"]}
    assert notes == EMPTY_NOTES
    assert report.undrawn() == [n for n in CHARTS if n in EMPTY_NOTES]
    assert report.console_errors == [] and report.page_errors == []


def test_without_the_headline_mart_tiles_say_not_available(warehouse: Path, tmp_path: Path) -> None:
    result = render(warehouse, tmp_path / "reports", "DROP TABLE marts.kpi_headline")
    assert result.as_of is None and all(t.value is None for t in result.tiles)
    assert "n/a (no orders or marts.kpi_headline not built)" in result.path.read_text(encoding="utf-8")


def test_a_network_fetch_is_detected(rendered, browser: Browser, tmp_path: Path) -> None:
    # A page that pulls plotly.js from a CDN is not self-contained: the test must notice.
    page = rendered.path.read_text(encoding="utf-8")
    leaky = tmp_path / "leaky.html"
    cdn = "https://cdn.plot.ly/plotly-3.0.0.min.js"
    leaky.write_text(page.replace("</body>", f'<script src="{cdn}"></script></body>'), encoding="utf-8")
    report = open_dashboard(browser, leaky)
    assert report.requests == [leaky.as_uri(), cdn]
    assert any("Content Security Policy" in e for e in report.console_errors)
