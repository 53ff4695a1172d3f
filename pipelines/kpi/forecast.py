"""Weekly revenue forecast per sales channel: statsmodels ETS models, backtest error, the two mart tables.

Input: net sales of sale lines, core.fct_order_lines.amount (after discounts, before returns: returns
are separate transactions in core.fct_returns and are not subtracted), summed per channel and ISO
week (Monday start, UTC) inside the engine: DuckDB, or Spark (pipelines/spark/kpi_marts.py). Only
full weeks count: the week holding the last sale day is dropped unless that day is a Sunday, and a
channel's first week is dropped unless its first sale fell on a Monday, because a partial week would
read as a collapse in demand.

Method per channel, decided on the weeks the backtest trains on (so the backtest measures exactly
the method that makes the forecast), in the ETS taxonomy of Hyndman & Athanasopoulos, FPP3 ch. 8:
- ETS(A,Ad,A) m=52: additive errors, damped additive trend, additive yearly seasonality, when the
  training history holds at least 2 full seasonal cycles (statsmodels' heuristic initialisation
  needs 2 cycles to separate level from season).
- ETS(A,Ad,N): Holt's damped trend, when there are fewer than 2 cycles but at least 10 weeks. One
  year of data cannot estimate a 52-week season, and weekly totals carry no shorter cycle (the
  simulator's day-of-week pattern, sources/dev/simulator/season.py, sums out within a week), so with
  a year of history this is the method; Black Friday and Christmas are then not anticipated.
- naive: last week repeated, with a random-walk interval, for 2 to 9 weeks.
- none: fewer than 2 weeks; only actuals are written.
The 80% prediction intervals are statsmodels' analytic ETS intervals. Forecasts and bounds are
clipped at 0 (revenue cannot be negative). MAPE and WAPE are fractions (0.12 = 12%).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

SEASON_WEEKS = 52
MIN_SEASONAL_CYCLES = 2
MIN_TREND_WEEKS = 10  # statsmodels' heuristic initialisation refuses fewer; 4 parameters need them
MIN_NAIVE_WEEKS = 2  # one week-on-week difference to size the interval
INTERVAL_ALPHA = 0.20  # 80% prediction interval
Z_80 = 1.2815515655446004  # standard normal 90% quantile: two-sided 80%

FORECAST_COLUMNS = {
    "channel_key": "VARCHAR",
    "week_start": "DATE",
    "kind": "VARCHAR",
    "revenue": "DOUBLE",
    "lower": "DOUBLE",
    "upper": "DOUBLE",
    "method": "VARCHAR",
}
ACCURACY_COLUMNS = {
    "channel_key": "VARCHAR",
    "backtest_weeks": "INTEGER",
    "mape": "DOUBLE",
    "wape": "DOUBLE",
    "method": "VARCHAR",
}

# date_trunc('week') is the ISO Monday. first_day + 6 truncates to the first Monday on or after
# first_day; last_day + 1 truncates to the Monday after the last full week ends.
WEEKLY_SQL = """
WITH bounds AS (
    SELECT max(transaction_at)::DATE AS last_day FROM core.fct_order_lines
),
channels AS (
    SELECT channel_key, min(transaction_at)::DATE AS first_day
    FROM core.fct_order_lines GROUP BY channel_key
),
spine AS (
    SELECT c.channel_key, CAST(w.week_start AS DATE) AS week_start
    FROM channels c, bounds b,
        LATERAL (SELECT unnest(generate_series(
            CAST(date_trunc('week', c.first_day + 6) AS DATE),
            CAST(date_trunc('week', b.last_day + 1) AS DATE) - 7,
            INTERVAL 7 DAY)) AS week_start) w
),
sales AS (
    SELECT channel_key, CAST(date_trunc('week', transaction_at) AS DATE) AS week_start,
        sum(amount)::DOUBLE AS revenue
    FROM core.fct_order_lines GROUP BY ALL
)
SELECT s.channel_key, s.week_start, coalesce(x.revenue, 0.0) AS revenue
FROM spine s LEFT JOIN sales x USING (channel_key, week_start)
ORDER BY s.channel_key, s.week_start
"""


@dataclass(frozen=True)
class Forecast:
    """Point forecast and 80% interval, one value per week ahead."""

    mean: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


def choose_method(train_weeks: int, season_length: int = SEASON_WEEKS) -> str:
    """The documented rule (module docstring): the richest model the history can estimate."""
    if train_weeks >= MIN_SEASONAL_CYCLES * season_length:
        return f"ETS(A,Ad,A) m={season_length}"
    if train_weeks >= MIN_TREND_WEEKS:
        return "ETS(A,Ad,N)"
    if train_weeks >= MIN_NAIVE_WEEKS:
        return "naive"
    return "none"


def _fit_ets(y: np.ndarray, horizon: int, season_length: int | None) -> Forecast:
    # Additive ETS is scale-equivariant; fitting on y / scale keeps the optimiser in a sane range
    # for weekly totals in the hundreds of thousands.
    scale = float(np.mean(np.abs(y))) or 1.0
    seasonal = season_length is not None
    model = ETSModel(
        pd.Series(y / scale),  # get_prediction needs an indexed endog (statsmodels 0.15)
        error="add",
        trend="add",
        damped_trend=True,
        seasonal="add" if seasonal else None,
        seasonal_periods=season_length,
        initialization_method="heuristic" if seasonal else "estimated",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fit = model.fit(disp=False, maxiter=2000)
    frame = fit.get_prediction(start=len(y), end=len(y) + horizon - 1).summary_frame(alpha=INTERVAL_ALPHA)
    return Forecast(
        mean=frame["mean"].to_numpy() * scale,
        lower=frame["pi_lower"].to_numpy() * scale,
        upper=frame["pi_upper"].to_numpy() * scale,
    )


def _fit_naive(y: np.ndarray, horizon: int) -> Forecast:
    """Random walk: last value, interval widening with sqrt(h) from week-on-week changes."""
    diffs = np.diff(y)
    sd = float(np.std(diffs, ddof=1)) if len(diffs) > 1 else float(abs(diffs[0]))
    steps = np.sqrt(np.arange(1, horizon + 1))
    mean = np.full(horizon, float(y[-1]))
    return Forecast(mean=mean, lower=mean - Z_80 * sd * steps, upper=mean + Z_80 * sd * steps)


def fit_forecast(y: np.ndarray, method: str, horizon: int, season_length: int = SEASON_WEEKS) -> Forecast:
    """Fit `method` on the weekly series y and forecast `horizon` weeks, clipped at 0."""
    y = np.asarray(y, dtype=float)
    if method.startswith("ETS(A,Ad,A)"):
        fc = _fit_ets(y, horizon, season_length)
    elif method == "ETS(A,Ad,N)":
        fc = _fit_ets(y, horizon, None)
    elif method == "naive":
        fc = _fit_naive(y, horizon)
    else:
        raise ValueError(f"no forecast for method {method!r}")
    return Forecast(*(np.clip(a, 0.0, None) for a in (fc.mean, fc.lower, fc.upper)))


def mape(actual: np.ndarray, forecast: np.ndarray) -> float | None:
    """Mean of |a - f| / |a| over weeks with a non-zero actual (a zero week has no percentage)."""
    a, f = np.asarray(actual, dtype=float), np.asarray(forecast, dtype=float)
    keep = a != 0
    return float(np.mean(np.abs(a[keep] - f[keep]) / np.abs(a[keep]))) if keep.any() else None


def wape(actual: np.ndarray, forecast: np.ndarray) -> float | None:
    """sum |a - f| / sum |a|: big weeks weigh more, and zero weeks do not break it."""
    a, f = np.asarray(actual, dtype=float), np.asarray(forecast, dtype=float)
    total = float(np.sum(np.abs(a)))
    return float(np.sum(np.abs(a - f)) / total) if total > 0 else None


def forecast_channel(
    weeks: list[date], y: np.ndarray, horizon: int, backtest_weeks: int, season_length: int = SEASON_WEEKS
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """One channel's rows of sales_forecast and its row of sales_forecast_accuracy."""
    y = np.asarray(y, dtype=float)
    n = len(y)
    method = choose_method(n - backtest_weeks, season_length) if backtest_weeks > 0 else "none"
    held_out = backtest_weeks if method != "none" else 0
    if method == "none":  # too short to backtest: forecast with what the whole history allows
        method = choose_method(n, season_length)
    rows = [_row(w, "actual", v, None, None, method) for w, v in zip(weeks, y, strict=True)]
    accuracy: dict[str, Any] = {"backtest_weeks": held_out, "mape": None, "wape": None, "method": method}
    if held_out:
        bt = fit_forecast(y[:-held_out], method, held_out, season_length)
        actual = y[-held_out:]
        accuracy |= {"mape": mape(actual, bt.mean), "wape": wape(actual, bt.mean)}
        rows += _rows(weeks[-held_out:], "backtest", bt, method)
    if method != "none" and horizon > 0:
        future = [weeks[-1] + timedelta(weeks=k) for k in range(1, horizon + 1)]
        rows += _rows(future, "forecast", fit_forecast(y, method, horizon, season_length), method)
    return rows, accuracy


def _row(
    week: date, kind: str, revenue: float, lower: float | None, upper: float | None, method: str
) -> dict[str, Any]:
    return {
        "week_start": week,
        "kind": kind,
        "revenue": float(revenue),
        "lower": lower,
        "upper": upper,
        "method": method,
    }


def _rows(weeks: list[date], kind: str, fc: Forecast, method: str) -> list[dict[str, Any]]:
    return [
        _row(w, kind, m, float(lo), float(hi), method)
        for w, m, lo, hi in zip(weeks, fc.mean, fc.lower, fc.upper, strict=True)
    ]


def forecast_frames(
    weekly: pd.DataFrame, horizon: int, backtest_weeks: int, season_length: int = SEASON_WEEKS
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """weekly (channel_key, week_start, revenue; full weeks, no gaps) -> (sales_forecast, accuracy)."""
    rows: list[dict[str, Any]] = []
    accuracy: list[dict[str, Any]] = []
    for channel, group in weekly.sort_values(["channel_key", "week_start"]).groupby("channel_key"):
        weeks = [pd.Timestamp(w).date() for w in group["week_start"]]
        ch_rows, ch_acc = forecast_channel(
            weeks, group["revenue"].to_numpy(), horizon, backtest_weeks, season_length
        )
        rows += [{"channel_key": channel, **r} for r in ch_rows]
        accuracy.append({"channel_key": channel, **ch_acc})
    return (
        pd.DataFrame(rows, columns=list(FORECAST_COLUMNS)),
        pd.DataFrame(accuracy, columns=list(ACCURACY_COLUMNS)),
    )


def weekly_revenue(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Full ISO weeks of net sales per channel, aggregated in DuckDB (a few rows per channel-week)."""
    return con.execute(WEEKLY_SQL).df()


def write_forecast(con: duckdb.DuckDBPyConnection, forecast: pd.DataFrame, accuracy: pd.DataFrame) -> None:
    """Replace marts.sales_forecast and marts.sales_forecast_accuracy in one transaction."""
    con.execute("CREATE SCHEMA IF NOT EXISTS marts")
    con.execute("BEGIN TRANSACTION")
    try:
        for table, columns, frame in (
            ("sales_forecast", FORECAST_COLUMNS, forecast),
            ("sales_forecast_accuracy", ACCURACY_COLUMNS, accuracy),
        ):
            ddl = ", ".join(f'"{c}" {t}' for c, t in columns.items())
            con.execute(f"CREATE OR REPLACE TABLE marts.{table} ({ddl})")
            if len(frame):
                con.register("_forecast_frame", frame)
                select = ", ".join(f'CAST("{c}" AS {t})' for c, t in columns.items())
                con.execute(f"INSERT INTO marts.{table} SELECT {select} FROM _forecast_frame")
                con.unregister("_forecast_frame")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def forecast_summary(forecast: pd.DataFrame, accuracy: pd.DataFrame) -> dict[str, Any]:
    """A summary per channel for the asset metadata."""
    actual = forecast[forecast["kind"] == "actual"]
    return {
        "channels": len(accuracy),
        "history_weeks": int(actual.groupby("channel_key").size().max()) if len(actual) else 0,
        "last_full_week": str(actual["week_start"].max()) if len(actual) else None,
        "accuracy": [
            {k: (None if pd.isna(v) else v) for k, v in rec.items()} for rec in accuracy.to_dict("records")
        ],
    }


def run_forecast(
    con: duckdb.DuckDBPyConnection, horizon: int, backtest_weeks: int, season_length: int = SEASON_WEEKS
) -> dict[str, Any]:
    """Aggregate, forecast, backtest and write; returns a summary per channel for the asset metadata."""
    forecast, accuracy = forecast_frames(weekly_revenue(con), horizon, backtest_weeks, season_length)
    write_forecast(con, forecast, accuracy)
    return forecast_summary(forecast, accuracy)
