"""Predictive CLV in the warehouse: BG/NBD + Gamma-Gamma fitted on a calibration window -> marts tables.

Transactions are (customer, purchase day) pairs with a positive net amount that day
(core.fct_order_lines.amount summed; anonymous lines skipped): same-day purchases count as one
transaction, as in FHL 2005. Times are day differences divided by the time unit: recency t_x =
last - first purchase day, T = calibration end - first purchase day. Spend is the net sales
amount of the transaction day, before returns: Gamma-Gamma models what a customer spends per
purchase, and returns arrive later and partly (core.fct_returns; net revenue after returns is
kpi_customer_value's job).

CLV = E[spend | x, zbar] * sum_{k=1..horizon} E[transactions in period k | x, t_x, T] / (1 + d)^k,
d = (1 + annual rate)^(days per unit / 365.25) - 1 (details in pipelines/kpi/clv_math.py).
"""

from __future__ import annotations

import time
from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd

from pipelines.kpi.bgnbd import BgNbdParams
from pipelines.kpi.clv_fallback import Pricing, score
from pipelines.kpi.clv_fit import ClvStats, ClvSummary, close_summary, fit_models, holdout_frame
from pipelines.kpi.clv_math import holdout_prediction, unit_days
from pipelines.kpi.clv_profit import PROFIT_COLUMNS, apply_net_profit
from pipelines.kpi.settings import KpiSettings

__all__ = ["ClvSummary", "build_clv"]

DAILY_SQL = """
    select customer_key, cast(transaction_at as date) as purchase_date, sum(amount) as amount
    from core.fct_order_lines
    where customer_key is not null
    group by all
    having sum(amount) > 0
"""

SUMMARY_SQL = f"""
    with daily as ({DAILY_SQL})
    select
        customer_key,
        min(purchase_date) as first_purchase_date,
        count(*) - 1 as frequency,
        date_diff('day', min(purchase_date), max(purchase_date)) / $unit_days as recency,
        date_diff('day', min(purchase_date), $calibration_end) / $unit_days as T,
        -- mean over repeat days only: the first purchase is what made the customer, not a repeat;
        -- summed as decimals, so the value does not depend on an engine's order of addition
        coalesce(cast(sum(amount) - arg_min(amount, purchase_date) as double) / nullif(count(*) - 1, 0), 0)
            as monetary_value
    from daily
    where purchase_date <= $calibration_end
    group by customer_key
    order by customer_key
"""

HOLDOUT_ACTUALS_SQL = f"""
    with daily as ({DAILY_SQL}),
    calibrated as (select distinct customer_key from daily where purchase_date <= $calibration_end)
    select
        cast((date_diff('day', $calibration_end, purchase_date) - 1) // $unit_days + 1 as integer)
            as period_index,
        count(*) as transactions
    from daily
    join calibrated using (customer_key)
    where purchase_date > $calibration_end
    group by 1
"""

DDL = {
    "clv_model_params": """(model VARCHAR, parameter VARCHAR, value DOUBLE, log_likelihood DOUBLE,
        n_customers INTEGER, calibration_end DATE, time_unit VARCHAR)""",
    "customer_clv": f"""(customer_key VARCHAR, first_purchase_date DATE, frequency INTEGER,
        recency DOUBLE, "T" DOUBLE, monetary_value DOUBLE, expected_transactions DOUBLE,
        p_alive DOUBLE, expected_spend DOUBLE, clv DOUBLE, clv_model VARCHAR, calibration_end DATE,
        time_unit VARCHAR, horizon INTEGER, {PROFIT_COLUMNS})""",
    "clv_holdout": """(period_index INTEGER, period_start DATE, predicted_repeat_transactions DOUBLE,
        actual_repeat_transactions INTEGER, cumulative_predicted DOUBLE, cumulative_actual INTEGER)""",
}


def last_order_day(con: duckdb.DuckDBPyConnection) -> date | None:
    return con.execute("select max(cast(transaction_at as date)) from core.fct_order_lines").fetchone()[0]


def choose_calibration_end(settings: KpiSettings, last_day: date | None) -> date | None:
    """The configured end, else clv_holdout_days before the last order day (None: no orders)."""
    if settings.clv_calibration_end is not None:
        return settings.clv_calibration_end
    return None if last_day is None else last_day - timedelta(days=settings.clv_holdout_days)


def customer_summary(con: duckdb.DuckDBPyConnection, calibration_end: date, days: int) -> pd.DataFrame:
    """Per-customer x, t_x, T and mean repeat spend, computed in DuckDB (one row per customer)."""
    params = {"calibration_end": calibration_end, "unit_days": float(days)}
    return con.execute(SUMMARY_SQL, params).df()


def holdout_actuals(con: duckdb.DuckDBPyConnection, calibration_end: date, days: int) -> dict[int, int]:
    params = {"calibration_end": calibration_end, "unit_days": days}
    return dict(con.execute(HOLDOUT_ACTUALS_SQL, params).fetchall())


def build_clv(con: duckdb.DuckDBPyConnection, settings: KpiSettings) -> ClvSummary:
    """Fit both models on the calibration window and replace the three marts tables in one transaction."""
    started = time.perf_counter()
    days = unit_days(settings.clv_time_unit)
    last_day = last_order_day(con)
    cal_end = choose_calibration_end(settings, last_day)
    summary = ClvSummary(cal_end, settings.clv_time_unit, settings.clv_horizon)
    frame = customer_summary(con, cal_end, days) if cal_end else pd.DataFrame()
    x = frame["frequency"].to_numpy(float) if len(frame) else np.zeros(0)
    if not np.any(x > 0):
        summary.warnings.append("no repeat transactions in the calibration window: CLV tables left empty")
        _write(con, [], frame.iloc[0:0], pd.DataFrame())
        summary.seconds = time.perf_counter() - started
        return summary

    t_x, T = frame["recency"].to_numpy(float), frame["T"].to_numpy(float)
    zbar = frame["monetary_value"].to_numpy(float)
    stats = ClvStats.from_customers(x, t_x, T, zbar)
    bg_fit, plan, params = fit_models(stats, settings, summary)
    values = score(plan, x, t_x, T, zbar)
    customers = frame.assign(**values).assign(
        calibration_end=cal_end, time_unit=settings.clv_time_unit, horizon=settings.clv_horizon
    )
    close_summary(summary, plan, Pricing(values).model_counts())
    span = (last_day - cal_end).days / days if last_day else 0.0
    prediction = holdout_prediction(BgNbdParams(*bg_fit.values), *stats.triples.T, span, stats.triple_counts)
    holdout = holdout_frame(prediction, holdout_actuals(con, cal_end, days), cal_end, days, summary)
    summary.total_clv = float(customers["clv"].sum())
    _write(con, params, customers, holdout, settings)
    summary.total_clv_net_profit = con.execute(
        "select sum(clv_net_profit) from marts.customer_clv"
    ).fetchone()[0]
    summary.seconds = time.perf_counter() - started
    return summary


def _write(
    con: duckdb.DuckDBPyConnection,
    params: list[tuple],
    customers: pd.DataFrame,
    holdout: pd.DataFrame,
    settings: KpiSettings | None = None,
) -> None:
    """CREATE OR REPLACE the three tables in one transaction: readers never see a mixed state."""
    con.begin()
    try:
        con.execute("create schema if not exists marts")
        for name, columns in DDL.items():
            con.execute(f"create or replace table marts.{name} {columns}")
        if params:
            con.executemany("insert into marts.clv_model_params values (?, ?, ?, ?, ?, ?, ?)", params)
        for name, frame in (("customer_clv", customers), ("clv_holdout", holdout)):
            if len(frame):
                con.register("_clv_frame", frame)
                con.execute(f"insert into marts.{name} by name select * from _clv_frame")
                con.unregister("_clv_frame")
        if settings is not None and len(customers):
            apply_net_profit(con, settings, customers["calibration_end"].iloc[0])
        con.commit()
    except Exception:
        con.rollback()
        raise
