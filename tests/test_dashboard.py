"""KPI dashboard: tiles and charts from hand-made marts, then the HTML opened offline in headless Chromium."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
from playwright.sync_api import Browser, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from pipelines.kpi.dashboard import render_dashboard
from pipelines.kpi.dashboard.charts import CHARTS
from pipelines.kpi.dashboard.queries import CHART_SQL, HEADLINE_SQL, chart_data
from tests.dashboard_fixtures import EXPECTED_CHANGES, EXPECTED_TILES, build_dashboard_warehouse

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


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_dashboard_warehouse(tmp_path_factory.mktemp("dash") / "wh.duckdb")


@pytest.fixture(scope="module")
def rendered(warehouse: Path, tmp_path_factory: pytest.TempPathFactory):
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return render_dashboard(con, tmp_path_factory.mktemp("reports"))
    finally:
        con.close()


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


def test_no_kpi_is_defined_outside_the_marts() -> None:
    """Every query of the dashboard reads schema marts, none a core fact."""
    for sql in (HEADLINE_SQL, *CHART_SQL.values()):
        assert "marts." in sql and "core." not in sql


def test_chart_rows_are_the_marts_rows(warehouse: Path) -> None:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        data = chart_data(con)
    finally:
        con.close()
    calls = data["call_center"].frame
    assert calls["service_level"].tolist() == pytest.approx([0.5, 0.75])
    assert calls["service_level_7d"].tolist() == pytest.approx([0.5, 35 / 60])
    cohorts = data["cohort_retention"].frame
    assert cohorts["is_warm_up"].tolist() == [True] * 3 + [False] * 2
    clv = data["clv_distribution"].frame
    # CLV 0..99: p99 = 98.01, bin width 3.267; bin 0 holds 0-3, the last bin 95-99 (99 capped in).
    assert clv["customers"].sum() == 100
    assert clv.iloc[0]["customers"] == 4 and clv.iloc[-1]["bin"] == 29 and clv.iloc[-1]["customers"] == 5
    assert clv.iloc[0]["width"] == pytest.approx(98.01 / 30)


def test_warm_up_cohorts_and_incomplete_cells_are_marked(rendered, browser: Browser) -> None:
    page = rendered.path.read_text(encoding="utf-8")
    assert "2025-01 (warm-up)" in page and "2025-02 (warm-up)" not in page
    report = open_dashboard(browser, rendered.path)
    cohort = next(c for c in report.charts if c["name"] == "cohort_retention")
    # the heatmap (3 month columns) and markers on the 4 incomplete cells (January's, February k=1)
    assert cohort["traces"] == 2 and cohort["points"] == 3 + 4


def test_page_is_self_contained(rendered) -> None:
    page = rendered.path.read_text(encoding="utf-8")
    assert rendered.path.name == "kpi_dashboard.html"
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=|<img[^>]+src=\"?http", page)
    assert page.count("Plotly.newPlot(") == len(CHARTS)
    assert rendered.charts_with_data == list(CHARTS) and rendered.charts_without_data == []


def test_every_chart_renders_offline_in_chromium(rendered, browser: Browser) -> None:
    report = open_dashboard(browser, rendered.path)
    assert [c["name"] for c in report.charts] == list(CHARTS)
    assert report.undrawn() == []
    assert report.console_errors == [] and report.page_errors == []
    assert report.requests == [rendered.path.as_uri()]


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


def test_no_rows_and_no_values_are_told_apart(warehouse: Path, tmp_path: Path, browser: Browser) -> None:
    copy = tmp_path / "wh.duckdb"
    copy.write_bytes(warehouse.read_bytes())
    con = duckdb.connect(str(copy))
    try:
        con.execute("DROP TABLE marts.kpi_returns_by_reason")
        con.execute("DELETE FROM marts.kpi_pareto")
        con.execute("UPDATE marts.customer_clv SET clv = NULL")
        con.execute("UPDATE marts.kpi_perfect_order SET perfect_order_rate = NULL")
        result = render_dashboard(con, tmp_path / "reports")
    finally:
        con.close()
    assert result.charts_without_data == ["clv_distribution", "pareto", "perfect_order", "returns_by_reason"]
    report = open_dashboard(browser, result.path)
    notes = {c["name"]: c["noDataNote"] for c in report.charts if c["noDataNote"]}
    assert notes == {
        "clv_distribution": "No data: marts.customer_clv has 101 rows, no clv values",
        "pareto": "No data: marts.kpi_pareto is empty",
        "perfect_order": "No data: marts.kpi_perfect_order has 2 rows, no perfect_order_rate values",
        "returns_by_reason": "No data: marts.kpi_returns_by_reason does not exist (not built yet)",
    }
    assert report.undrawn() == ["clv_distribution", "pareto", "perfect_order", "returns_by_reason"]
    assert report.console_errors == [] and report.page_errors == []


def test_without_the_headline_mart_tiles_say_not_available(warehouse: Path, tmp_path: Path) -> None:
    copy = tmp_path / "wh.duckdb"
    copy.write_bytes(warehouse.read_bytes())
    con = duckdb.connect(str(copy))
    try:
        con.execute("DROP TABLE marts.kpi_headline")
        result = render_dashboard(con, tmp_path / "reports")
    finally:
        con.close()
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
