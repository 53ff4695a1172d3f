"""Assemble the self-contained KPI dashboard (tiles + plotly charts, plotly.js inline) and write it."""

from __future__ import annotations

import html
import os
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
from plotly.offline import get_plotlyjs

from pipelines.kpi.dashboard.catalog import CHARTS
from pipelines.kpi.dashboard.formatting import Money, format_change, format_value
from pipelines.kpi.dashboard.queries import ChartData, Headline, Tile, chart_data, headline
from pipelines.kpi.dashboard.template import CHART, CSP, NO_DATA, PAGE, TILE

DASHBOARD_FILE = "kpi_dashboard.html"
PLOTLY_CONFIG = {"displaylogo": False, "responsive": True}


@dataclass(frozen=True)
class DashboardResult:
    """What one render wrote: the file, its tiles and which charts had data."""

    path: Path
    as_of: date | None
    tiles: list[Tile]
    charts_with_data: list[str]
    charts_without_data: list[str]
    size_bytes: int
    seconds: float
    currency: str = ""  # ISO 4217 code the amounts are shown in


def tile_html(tile: Tile, money: Money) -> str:
    text, direction = format_change(tile.change, tile.unit)
    return TILE.substitute(
        key=tile.key,
        value="" if tile.value is None else repr(tile.value),
        previous="" if tile.previous is None else repr(tile.previous),
        change="" if tile.change is None else repr(tile.change),
        label=html.escape(tile.label),
        value_text=html.escape(format_value(tile.value, tile.unit, money)),
        previous_text=html.escape(format_value(tile.previous, tile.unit, money)),
        change_text=html.escape(text),
        direction=direction,
        flagged=str(tile.note is not None).lower(),
        note_html=f'<div class="note">{html.escape(tile.note)}</div>' if tile.note else "",
    )


def chart_html(name: str, data: ChartData, money: Money) -> str:
    title, build = CHARTS[name]
    if data.frame is None:
        body = NO_DATA.substitute(note=html.escape(data.note or "nothing to show"))
    else:
        fig = build(data.frame, money)
        body = fig.to_html(
            full_html=False, include_plotlyjs=False, div_id=f"plot-{name}", config=PLOTLY_CONFIG
        ).replace('class="plotly-graph-div"', 'class="plotly-graph-div plot"', 1)
    return CHART.substitute(
        name=name, title=html.escape(title), has_data=str(data.frame is not None).lower(), body=body
    )


def build_html(head: Headline, charts: dict[str, ChartData], generated_at: datetime, money: Money) -> str:
    """The whole page; every chart of CHARTS appears, with a 'no data' note where it has none."""
    return PAGE.substitute(
        csp=CSP,
        plotly_js=get_plotlyjs(),
        as_of=head.as_of.isoformat() if head.as_of else "n/a (no orders or marts.kpi_headline not built)",
        window=head.window_days or "n/a",
        generated_at=generated_at.strftime("%Y-%m-%d %H:%M UTC"),
        currency=html.escape(f"{money.code} ({money.symbol})" if money.symbol != money.code else money.code),
        tiles="\n".join(tile_html(t, money) for t in head.tiles),
        charts="\n".join(
            chart_html(name, charts.get(name, ChartData(None, "not queried")), money) for name in CHARTS
        ),
    )


def render_dashboard(con: duckdb.DuckDBPyConnection, reports_dir: Path, money: Money) -> DashboardResult:
    """Query the marts, build and write <reports_dir>/kpi_dashboard.html (replaced atomically).

    `money`: the currency of the amounts (Settings.currency).
    """
    started = time.perf_counter()
    head = headline(con)
    charts = chart_data(con)
    page = build_html(head, charts, datetime.now(UTC), money)
    reports_dir.mkdir(parents=True, exist_ok=True)
    path = reports_dir / DASHBOARD_FILE
    # Write then rename, so a browser refreshing the report never reads a half-written file.
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, path)
    return DashboardResult(
        path=path,
        as_of=head.as_of,
        tiles=head.tiles,
        charts_with_data=[n for n in CHARTS if charts[n].frame is not None],
        charts_without_data=[n for n in CHARTS if charts[n].frame is None],
        size_bytes=path.stat().st_size,
        seconds=time.perf_counter() - started,
        currency=money.code,
    )
