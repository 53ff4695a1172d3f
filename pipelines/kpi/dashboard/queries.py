"""SQL behind the KPI dashboard: headline tiles from the core facts, small aggregates from the marts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import duckdb
import pandas as pd

WINDOW_DAYS = 30  # tiles compare the last 30 days with the 30 before, both ending on the last order day
CLV_BINS = 30
CLV_CAP_QUANTILE = 0.99  # the top 1% share the last bin, so a few large CLVs do not flatten the rest

# Each tile query gets ? = the current window's first day, ? = its last day, and returns one value.
# Days are UTC calendar days of the event's own timestamp.
TILE_SQL: dict[str, str] = {
    # Net revenue: net sales of sale lines minus refunds of returns in the window (returns are
    # their own transactions, dated when they came back).
    "net_revenue": """
        SELECT (SELECT coalesce(sum(amount), 0) FROM core.fct_order_lines
                WHERE transaction_at::DATE BETWEEN $1 AND $2)
             - (SELECT coalesce(sum(refund_amount), 0) FROM core.fct_returns
                WHERE returned_at::DATE BETWEEN $1 AND $2)""",
    "orders": """
        SELECT count(DISTINCT transaction_id) FROM core.fct_order_lines
        WHERE transaction_at::DATE BETWEEN $1 AND $2""",
    "active_customers": """
        SELECT count(DISTINCT customer_key) FROM core.fct_order_lines
        WHERE transaction_at::DATE BETWEEN $1 AND $2 AND customer_key IS NOT NULL""",
    "new_customers": """
        SELECT count(*) FROM (
            SELECT customer_key, min(transaction_at)::DATE AS first_day FROM core.fct_order_lines
            WHERE customer_key IS NOT NULL GROUP BY customer_key)
        WHERE first_day BETWEEN $1 AND $2""",
    # Order level: an order is perfect when every line is; orders with a line not yet evaluated
    # (not delivered) wait, so the rate's base is the evaluated shipped orders of the window.
    "perfect_order_rate": """
        SELECT avg(CASE WHEN perfect THEN 1.0 ELSE 0.0 END) FROM (
            SELECT transaction_id, bool_and(is_perfect_order) AS perfect FROM core.fct_order_lines
            WHERE is_shipped_order AND transaction_at::DATE BETWEEN $1 AND $2
            GROUP BY transaction_id HAVING count(is_perfect_order) = count(*))""",
    # Service level: inbound phone and chat contacts answered within the threshold over all
    # offered (abandoned included); e-mail is answered in hours and has no seconds threshold.
    "service_level": """
        SELECT avg(CASE WHEN answered_at IS NOT NULL AND wait_seconds <= $3 THEN 1.0 ELSE 0.0 END)
        FROM core.fct_interactions
        WHERE direction = 'inbound' AND channel IN ('phone', 'chat')
          AND started_at::DATE BETWEEN $1 AND $2""",
    # NPS: % promoters (9-10) minus % detractors (0-6) of the survey answers, -100..100.
    "nps": """
        SELECT 100.0 * (count(*) FILTER (WHERE nps >= 9) - count(*) FILTER (WHERE nps <= 6))
               / nullif(count(*), 0)
        FROM core.fct_interactions
        WHERE nps IS NOT NULL AND started_at::DATE BETWEEN $1 AND $2""",
}

# key -> (label, unit); unit "rate" tiles show percentages and change in percentage points.
TILE_LABELS: dict[str, tuple[str, str]] = {
    "net_revenue": ("Net revenue (sales - refunds)", "amount"),
    "orders": ("Orders", "count"),
    "active_customers": ("Active customers", "count"),
    "new_customers": ("New customers", "count"),
    "perfect_order_rate": ("Perfect order rate", "rate"),
    "service_level": ("Service level", "rate"),
    "nps": ("NPS", "score"),
}

CHART_SQL: dict[str, str] = {
    "cohort_retention": """
        SELECT cohort_month, months_since_first, retention_rate, cohort_size
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
    # Sums before the ratio: one day's rows per queue/channel/agent must not be averaged as equals.
    # The trailing 7 days (sums over the window, then the ratio) smooth out the weekday pattern.
    "call_center": """
        WITH d AS (
            SELECT date_day, sum(offered) AS offered, sum(answered_within_sl) AS in_sl,
                   sum(abandoned) AS abandoned
            FROM marts.kpi_call_center_daily GROUP BY date_day HAVING sum(offered) > 0)
        SELECT date_day, offered, in_sl / offered AS service_level, abandoned / offered AS abandonment_rate,
               sum(in_sl) OVER w / sum(offered) OVER w AS service_level_7d,
               sum(abandoned) OVER w / sum(offered) OVER w AS abandonment_rate_7d
        FROM d
        WINDOW w AS (ORDER BY date_day RANGE BETWEEN INTERVAL 6 DAY PRECEDING AND CURRENT ROW)
        ORDER BY date_day""",
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


# The mart each chart reads, for the 'no data' note (and the dashboard asset's deps).
CHART_TABLES: dict[str, str] = {
    "cohort_retention": "kpi_cohort_retention",
    "clv_distribution": "customer_clv",
    "pareto": "kpi_pareto",
    "rfm_segments": "kpi_rfm_segments",
    "campaign_lift": "kpi_campaign_performance",
    "call_center": "kpi_call_center_daily",
    "perfect_order": "kpi_perfect_order",
    "returns_by_reason": "kpi_returns_by_reason",
    "forecast": "sales_forecast",
}


@dataclass(frozen=True)
class Tile:
    """One headline number: this window, the previous one and the change between them."""

    key: str
    label: str
    unit: str
    value: float | None
    previous: float | None

    @property
    def change(self) -> float | None:
        """Relative change for amounts and counts; difference (points) for rates and NPS."""
        if self.value is None or self.previous is None:
            return None
        if self.unit in ("rate", "score"):
            return self.value - self.previous
        return (self.value - self.previous) / self.previous if self.previous else None


@dataclass(frozen=True)
class ChartData:
    """A chart's rows, or None with the reason when there is nothing to draw."""

    frame: pd.DataFrame | None
    note: str | None = None


def as_of_day(con: duckdb.DuckDBPyConnection) -> date | None:
    """The last order day: 'today' of the tiles (the data, not the wall clock, sets it)."""
    row = con.execute("SELECT max(transaction_at)::DATE FROM core.fct_order_lines").fetchone()
    return row[0] if row else None


def tile_values(
    con: duckdb.DuckDBPyConnection, service_level_seconds: int = 20
) -> tuple[date | None, list[Tile]]:
    """Every headline tile for the window ending on the last order day and the one before it."""
    as_of = as_of_day(con)
    tiles: list[Tile] = []
    for key, sql in TILE_SQL.items():
        label, unit = TILE_LABELS[key]
        values: list[float | None] = []
        for end in (0, WINDOW_DAYS):
            if as_of is None:
                values.append(None)
                continue
            last = as_of - timedelta(days=end)
            first = last - timedelta(days=WINDOW_DAYS - 1)
            params: list[object] = [first, last] + ([service_level_seconds] if "$3" in sql else [])
            row = con.execute(sql, params).fetchone()
            values.append(None if row is None or row[0] is None else float(row[0]))
        tiles.append(Tile(key=key, label=label, unit=unit, value=values[0], previous=values[1]))
    return as_of, tiles


def chart_data(con: duckdb.DuckDBPyConnection) -> dict[str, ChartData]:
    """Rows of every chart; a missing mart or an empty result becomes a 'no data' note.

    A missing column is not caught: it means a mart broke its contract (marts_contract), which
    should fail the asset rather than hide a chart.
    """
    out: dict[str, ChartData] = {}
    for name, sql in CHART_SQL.items():
        try:
            frame = con.execute(sql).df()
        except duckdb.CatalogException:
            out[name] = ChartData(None, f"marts.{CHART_TABLES[name]} does not exist (not built yet)")
            continue
        out[name] = (
            ChartData(frame) if len(frame) else ChartData(None, f"marts.{CHART_TABLES[name]} is empty")
        )
    return out
