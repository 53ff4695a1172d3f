"""The KPI dashboard's data: every tile and chart reads a mart (sql.py); no KPI is defined here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

from pipelines.kpi.dashboard.sql import (
    CHART_SQL,
    CHART_TABLES,
    FILTERED_NOTES,
    HEADLINE_SQL,
    PAIR_NAMES,
    PAIR_NAMES_JOIN,
    PAIR_NAMES_TABLE,
    PAIR_SKUS,
)
from sources.lib.duck import table_exists

# key -> (label, unit, column of kpi_headline flagging the current value, note when flagged);
# unit "rate" tiles show percentages and change in percentage points.
TILES: dict[str, tuple[str, str, str | None, str | None]] = {
    "net_revenue": ("Net revenue (sales minus refunds)", "amount", None, None),
    "orders": ("Orders", "count", None, None),
    "active_customers": ("Active customers (bought in the window)", "count", None, None),
    "new_customers": (
        "New customers (first seen in any source)",
        "count",
        "new_customers_in_warm_up",
        "warm-up: includes customers older than the data",
    ),
    "perfect_order_rate": ("Perfect order rate", "rate", None, None),
    "service_level": ("Service level (calls and chats answered in time)", "rate", None, None),
    "nps": ("NPS (would recommend us, -100 to +100)", "score", None, None),
}


@dataclass(frozen=True)
class Tile:
    """One headline number: this window, the previous one and the change between them."""

    key: str
    label: str
    unit: str
    value: float | None
    previous: float | None
    note: str | None = None  # shown under the value when the mart flags it (e.g. warm-up)

    @property
    def change(self) -> float | None:
        """Relative change for amounts and counts; difference (points) for rates and NPS."""
        if self.value is None or self.previous is None:
            return None
        if self.unit in ("rate", "score"):
            return self.value - self.previous
        return (self.value - self.previous) / self.previous if self.previous else None


@dataclass(frozen=True)
class Headline:
    """The tiles with the current window they describe (None: no headline mart or no orders)."""

    as_of: date | None
    window_days: int | None
    tiles: list[Tile]


@dataclass(frozen=True)
class ChartData:
    """A chart's rows, or None with the reason when there is nothing to draw."""

    frame: pd.DataFrame | None
    note: str | None = None


def _number(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)  # type: ignore[arg-type]


def headline(con: duckdb.DuckDBPyConnection) -> Headline:
    """Every tile from marts.kpi_headline: its current and previous window, as the mart has them."""
    try:
        frame = con.execute(HEADLINE_SQL).df()
    except duckdb.CatalogException:
        frame = pd.DataFrame()
    rows = {r["window_name"]: r for r in frame.to_dict("records")}
    current, previous = rows.get("current", {}), rows.get("previous", {})
    tiles = []
    for key, (label, unit, flag, note) in TILES.items():
        value, before = _number(current.get(key)), _number(previous.get(key))
        flagged = bool(flag and current.get(flag))
        tiles.append(Tile(key, label, unit, value, before, note if flagged else None))
    end, start = current.get("window_end"), current.get("window_start")
    if end is None or pd.isna(end):
        return Headline(None, None, tiles)
    return Headline(pd.Timestamp(end).date(), (pd.Timestamp(end) - pd.Timestamp(start)).days + 1, tiles)


def _no_values_note(con: duckdb.DuckDBPyConnection, table: str, column: str, filtered: str | None) -> str:
    """'is empty' when the mart has no rows; 'has N rows, no <column> values' when none has a value;
    'has N rows, <filtered>' when the chart's own filter left none (e.g. no pair with lift above 1)."""
    rows, values = con.execute(f"SELECT count(*), count({column}) FROM marts.{table}").fetchone() or (0, 0)
    if rows == 0:
        return f"marts.{table} is empty"
    if values and filtered:
        return f"marts.{table} has {rows:,} rows, {filtered}"
    return f"marts.{table} has {rows:,} rows, no {column} values" + ("" if values == 0 else " to draw")


def chart_sql(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """CHART_SQL with its optional parts filled in for what this warehouse holds."""
    names = table_exists(con, "marts", PAIR_NAMES_TABLE)
    return {
        **CHART_SQL,
        "product_pairs": CHART_SQL["product_pairs"].format(
            names=PAIR_NAMES if names else PAIR_SKUS, names_join=PAIR_NAMES_JOIN if names else ""
        ),
    }


def chart_data(con: duckdb.DuckDBPyConnection) -> dict[str, ChartData]:
    """Rows of every chart; a missing mart, no rows or rows without values become a 'no data' note.

    A missing column is not caught: it means a mart broke its contract (marts_contract), which should fail
    the asset rather than hide a chart.
    """
    out: dict[str, ChartData] = {}
    for name, sql in chart_sql(con).items():
        table, column = CHART_TABLES[name]
        try:
            frame = con.execute(sql).df()
        except duckdb.CatalogException:
            out[name] = ChartData(None, f"marts.{table} does not exist (not built yet)")
            continue
        has_values = len(frame) > 0 and (column not in frame or frame[column].notna().any())
        out[name] = (
            ChartData(frame)
            if has_values
            else ChartData(None, _no_values_note(con, table, column, FILTERED_NOTES.get(name)))
        )
    return out
