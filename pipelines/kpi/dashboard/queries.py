"""SQL behind the KPI dashboard: every tile and chart reads a mart; no KPI is defined here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import pandas as pd

CLV_BINS = 30
CLV_CAP_QUANTILE = 0.99  # the top 1% share the last bin, so a few large CLVs do not flatten the rest

# The tiles are rows of marts.kpi_headline (one per window): the definitions live in dbt.
HEADLINE_SQL = "SELECT * FROM marts.kpi_headline WHERE window_name IN ('current', 'previous')"

# key -> (label, unit, column of kpi_headline flagging the current value, note when flagged);
# unit "rate" tiles show percentages and change in percentage points.
TILES: dict[str, tuple[str, str, str | None, str | None]] = {
    "net_revenue": ("Net revenue (sales - refunds)", "amount", None, None),
    "orders": ("Orders", "count", None, None),
    "active_customers": ("Active customers", "count", None, None),
    "new_customers": (
        "New customers (first seen in any source)",
        "count",
        "new_customers_in_warm_up",
        "warm-up: includes customers older than the data",
    ),
    "perfect_order_rate": ("Perfect order rate", "rate", None, None),
    "service_level": ("Service level (inbound phone and chat)", "rate", None, None),
    "nps": ("NPS", "score", None, None),
}

CHART_SQL: dict[str, str] = {
    "cohort_retention": """
        SELECT cohort_month, months_since_first, retention_rate, cohort_size, is_warm_up, is_complete
        FROM marts.kpi_cohort_retention ORDER BY cohort_month, months_since_first""",
    "clv_distribution": f"""
        WITH c AS (SELECT greatest(clv, 0) AS clv FROM marts.customer_clv WHERE clv IS NOT NULL),
        w AS (SELECT greatest(quantile_cont(clv, {CLV_CAP_QUANTILE}), 0.01) / {CLV_BINS} AS width FROM c)
        SELECT least(CAST(floor(c.clv / w.width) AS INTEGER), {CLV_BINS - 1}) AS bin,
               any_value(w.width) AS width, count(*) AS customers
        FROM c, w GROUP BY bin ORDER BY bin""",
    "pareto": """
        SELECT customer_percentile, cumulative_revenue_share, cumulative_margin_share
        FROM marts.kpi_pareto ORDER BY customer_percentile""",
    "rfm_segments": """
        SELECT segment, customers, revenue FROM marts.kpi_rfm_segments ORDER BY customers DESC, segment""",
    "campaign_lift": """
        SELECT campaign_name, treatment_response_rate, control_response_rate,
               treatment_conversion_rate, control_conversion_rate, conversion_lift
        FROM marts.kpi_campaign_performance ORDER BY launched_at, campaign_id""",
    "call_center": """
        SELECT date_day, offered, service_level, abandonment_rate, service_level_7d, abandonment_rate_7d
        FROM marts.kpi_service_level_daily ORDER BY date_day""",
    "perfect_order": """
        SELECT month, on_time_rate, in_full_rate, damage_free_rate, documentation_ok_rate,
               perfect_order_rate
        FROM marts.kpi_perfect_order ORDER BY month""",
    "returns_by_reason": """
        SELECT return_reason, returns, refund_value FROM marts.kpi_returns_by_reason
        ORDER BY returns DESC, return_reason""",
    "forecast": """
        SELECT channel_key, week_start, kind, revenue, lower, upper
        FROM marts.sales_forecast ORDER BY channel_key, kind, week_start""",
}


# The mart each chart reads and the column holding its values: the 'no data' note tells a mart
# without rows from one whose rows have no values (e.g. every CLV NULL). Also the asset's deps.
CHART_TABLES: dict[str, tuple[str, str]] = {
    "cohort_retention": ("kpi_cohort_retention", "retention_rate"),
    "clv_distribution": ("customer_clv", "clv"),
    "pareto": ("kpi_pareto", "cumulative_revenue_share"),
    "rfm_segments": ("kpi_rfm_segments", "customers"),
    "campaign_lift": ("kpi_campaign_performance", "treatment_conversion_rate"),
    "call_center": ("kpi_service_level_daily", "service_level"),
    "perfect_order": ("kpi_perfect_order", "perfect_order_rate"),
    "returns_by_reason": ("kpi_returns_by_reason", "returns"),
    "forecast": ("sales_forecast", "revenue"),
}
HEADLINE_TABLE = "kpi_headline"


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


def _no_values_note(con: duckdb.DuckDBPyConnection, table: str, column: str) -> str:
    """'is empty' when the mart has no rows; 'has N rows, no <column> values' when none has a value."""
    rows, values = con.execute(f"SELECT count(*), count({column}) FROM marts.{table}").fetchone() or (0, 0)
    if rows == 0:
        return f"marts.{table} is empty"
    return f"marts.{table} has {rows:,} rows, no {column} values" + ("" if values == 0 else " to draw")


def chart_data(con: duckdb.DuckDBPyConnection) -> dict[str, ChartData]:
    """Rows of every chart; a missing mart, no rows or rows without values become a 'no data' note.

    A missing column is not caught: it means a mart broke its contract (marts_contract), which
    should fail the asset rather than hide a chart.
    """
    out: dict[str, ChartData] = {}
    for name, sql in CHART_SQL.items():
        table, column = CHART_TABLES[name]
        try:
            frame = con.execute(sql).df()
        except duckdb.CatalogException:
            out[name] = ChartData(None, f"marts.{table} does not exist (not built yet)")
            continue
        has_values = len(frame) > 0 and (column not in frame or frame[column].notna().any())
        out[name] = ChartData(frame) if has_values else ChartData(None, _no_values_note(con, table, column))
    return out
