"""build_clv on small DuckDB warehouses: hand-computed summaries, holdout actuals, a simulated population."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date, datetime, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest

from pipelines.kpi import bgnbd
from pipelines.kpi.bgnbd import BgNbdParams
from pipelines.kpi.clv import build_clv
from pipelines.kpi.clv_math import discounted_value, period_discount_rate
from pipelines.kpi.settings import KpiSettings

D = datetime.fromisoformat
# (transaction_at, customer_key, amount): A buys twice on 6 Jan (one transaction), C's 17 Feb lines
# net to 0 (no transaction), E's first purchase is on the calibration end, D starts after it.
LINES = [
    (D("2025-01-06 10:00"), "A", 50.00), (D("2025-01-06 15:00"), "A", 30.00),
    (D("2025-01-20 09:00"), "A", 40.00), (D("2025-02-03 09:00"), "A", 60.00),
    (D("2025-04-01 09:00"), "A", 25.00), (D("2025-04-03 10:00"), "A", 5.00),
    (D("2025-04-03 11:00"), "A", 7.00),
    (D("2025-03-03 12:00"), "B", 100.00),
    (D("2025-02-10 12:00"), "C", 20.00), (D("2025-02-17 12:00"), "C", 15.00),
    (D("2025-02-17 12:05"), "C", -15.00), (D("2025-03-10 12:00"), "C", 35.00),
    (D("2025-04-09 12:00"), "C", 12.00),
    (D("2025-04-05 12:00"), "D", 80.00),
    (D("2025-03-31 23:30"), "E", 45.00), (D("2025-04-14 08:00"), "E", 30.00),
    (D("2025-01-06 11:00"), None, 999.00), (D("2025-04-02 11:00"), None, 20.00),
    (D("2025-04-14 18:00"), None, 5.00),
]  # fmt: skip


def _load(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> None:
    con.execute("create schema if not exists core")
    con.register("_lines", frame)
    con.execute(
        "create or replace table core.fct_order_lines as select transaction_at::timestamp as transaction_at,"
        " customer_key::varchar as customer_key, amount::decimal(12, 2) as amount from _lines"
    )
    con.unregister("_lines")


@pytest.fixture
def tiny(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    _load(con, pd.DataFrame(LINES, columns=["transaction_at", "customer_key", "amount"]))
    return con


def _params(con: duckdb.DuckDBPyConnection, model: str) -> dict[str, float]:
    rows = con.execute("select parameter, value from marts.clv_model_params where model = ?", [model])
    return dict(rows.fetchall())


def test_tables_have_the_contract_columns(tiny: duckdb.DuckDBPyConnection) -> None:
    build_clv(tiny, KpiSettings(clv_holdout_days=14))

    def types(table: str) -> list[tuple[str, str]]:
        return tiny.execute(
            "select column_name, data_type from information_schema.columns"
            " where table_schema = 'marts' and table_name = ? order by ordinal_position",
            [table],
        ).fetchall()

    assert types("clv_model_params") == [
        ("model", "VARCHAR"), ("parameter", "VARCHAR"), ("value", "DOUBLE"), ("log_likelihood", "DOUBLE"),
        ("n_customers", "INTEGER"), ("calibration_end", "DATE"), ("time_unit", "VARCHAR"),
    ]  # fmt: skip
    assert types("customer_clv") == [
        ("customer_key", "VARCHAR"), ("first_purchase_date", "DATE"), ("frequency", "INTEGER"),
        ("recency", "DOUBLE"), ("T", "DOUBLE"), ("monetary_value", "DOUBLE"),
        ("expected_transactions", "DOUBLE"), ("p_alive", "DOUBLE"), ("expected_spend", "DOUBLE"),
        ("clv", "DOUBLE"), ("clv_model", "VARCHAR"), ("calibration_end", "DATE"), ("time_unit", "VARCHAR"),
        ("horizon", "INTEGER"), ("discounted_transactions", "DOUBLE"), ("margin_rate", "DOUBLE"),
        ("margin_rate_source", "VARCHAR"), ("return_rate", "DOUBLE"),
        ("service_contacts_per_transaction", "DOUBLE"), ("clv_net_profit", "DOUBLE"),
    ]  # fmt: skip
    assert types("clv_holdout") == [
        ("period_index", "INTEGER"), ("period_start", "DATE"), ("predicted_repeat_transactions", "DOUBLE"),
        ("actual_repeat_transactions", "INTEGER"), ("cumulative_predicted", "DOUBLE"),
        ("cumulative_actual", "INTEGER"),
    ]  # fmt: skip


def test_hand_computed_summary_and_holdout_in_weeks(tiny: duckdb.DuckDBPyConnection) -> None:
    # last order day 14 Apr (an anonymous line) - 14 days = calibration end 31 Mar; two repeat
    # customers: BG/NBD prices them only when allowed to with so few
    settings = KpiSettings(clv_holdout_days=14, clv_horizon=52, clv_min_repeat_customers=2)
    summary = build_clv(tiny, settings)
    assert summary.calibration_end == date(2025, 3, 31)
    rows = tiny.execute(
        'select customer_key, first_purchase_date, frequency, recency, "T", monetary_value'
        " from marts.customer_clv order by customer_key"
    ).fetchall()
    assert rows == [
        ("A", date(2025, 1, 6), 2, 4.0, 12.0, 50.0),  # repeats on 20 Jan (40) and 3 Feb (60)
        ("B", date(2025, 3, 3), 0, 0.0, 4.0, 0.0),
        ("C", date(2025, 2, 10), 1, 4.0, 7.0, 35.0),  # 17 Feb nets to 0: no transaction
        ("E", date(2025, 3, 31), 0, 0.0, 0.0, 0.0),
    ]
    bg = BgNbdParams(**_params(tiny, "bgnbd"))
    x, t_x, T = np.array([2, 0, 1, 0]), np.array([4.0, 0, 4, 0]), np.array([12.0, 4, 7, 0])
    stored = tiny.execute(
        "select expected_transactions, p_alive, expected_spend, clv"
        " from marts.customer_clv order by customer_key"
    ).fetchnumpy()
    np.testing.assert_allclose(
        stored["expected_transactions"], bgnbd.conditional_expected_transactions(bg, 52, x, t_x, T), rtol=1e-9
    )
    np.testing.assert_allclose(stored["p_alive"], bgnbd.p_alive(bg, x, t_x, T), rtol=1e-12)
    assert stored["p_alive"][1] == stored["p_alive"][3] == 1.0  # no repeat purchase yet
    weeks = np.arange(53.0)
    cumulative = bgnbd.conditional_expected_transactions(bg, weeks, x[:, None], t_x[:, None], T[:, None])
    increments = np.diff(cumulative, axis=1)
    expected_clv = discounted_value(increments, stored["expected_spend"], period_discount_rate(0.10, "weeks"))
    np.testing.assert_allclose(stored["clv"], expected_clv, rtol=1e-9)

    holdout = tiny.execute("select * from marts.clv_holdout order by period_index").fetchall()
    # week 1 (1-7 Apr): A on 1 and 3 Apr (two lines, one day); week 2: C on 9 Apr, E on 14 Apr; D never counts
    assert [(r[0], r[1], r[3], r[5]) for r in holdout] == [
        (1, date(2025, 4, 1), 2, 2),
        (2, date(2025, 4, 8), 2, 4),
    ]
    e = lambda t: bgnbd.expected_transactions(bg, t)  # noqa: E731
    assert holdout[0][2] == pytest.approx(float(np.sum(e(T + 1) - e(T))), rel=1e-9)
    assert holdout[1][4] == pytest.approx(float(np.sum(e(T + 2) - e(T))), rel=1e-9)

    params = tiny.execute(
        "select model, parameter, n_customers, calibration_end, time_unit from marts.clv_model_params"
    ).fetchall()
    assert sorted(params) == sorted(
        [("bgnbd", p, 4, date(2025, 3, 31), "weeks") for p in ("r", "alpha", "a", "b")]
        + [("gamma_gamma", p, 2, date(2025, 3, 31), "weeks") for p in ("p", "q", "gamma")]
    )


def test_configured_calibration_end_in_days(tiny: duckdb.DuckDBPyConnection) -> None:
    settings = KpiSettings(clv_calibration_end=date(2025, 2, 28), clv_time_unit="days", clv_horizon=365)
    summary = build_clv(tiny, settings)
    rows = tiny.execute(
        'select customer_key, frequency, recency, "T", monetary_value, horizon, time_unit'
        " from marts.customer_clv order by customer_key"
    ).fetchall()
    assert rows == [("A", 2, 28.0, 53.0, 50.0, 365, "days"), ("C", 0, 0.0, 18.0, 0.0, 365, "days")]
    # 1 Mar .. 14 Apr = 45 daily periods; C on 10 Mar (day 10), A on 1 and 3 Apr (32, 34), C 9 Apr (40)
    actual = tiny.execute(
        "select period_index from marts.clv_holdout where actual_repeat_transactions > 0 order by 1"
    ).fetchall()
    assert [r[0] for r in actual] == [10, 32, 34, 40]
    assert summary.holdout_periods == 45 and summary.holdout_actual == 4


def _simulate_lines(n: int, seed: int) -> pd.DataFrame:
    """Order lines of a BG/NBD + Gamma-Gamma population over 2025, first purchases in the first 12 weeks.

    True values per week: r=0.8, alpha=6, a=1.5, b=6; spend p=4, q=5, gamma=100. Purchase times are
    continuous and land on their calendar day, so the warehouse sees them the way it sees real sales.
    """
    rng = np.random.default_rng(seed)
    start = datetime(2025, 1, 1)
    lines: list[tuple[datetime, str | None, float]] = []
    for i in range(n):
        lam, p, nu = rng.gamma(0.8, 1 / 6.0), rng.beta(1.5, 6.0), rng.gamma(5.0, 1 / 100.0)
        first, t = int(rng.integers(0, 84)), 0.0  # t: weeks since the first purchase
        while first + 7 * t < 365:
            at = start + timedelta(days=first + 7 * t)
            spend = round(float(rng.gamma(4.0, 1 / nu)), 2) + 0.01
            half = round(spend / 2, 2)
            # one transaction as one or two lines, so the daily sum is exercised
            amounts = [spend] if rng.random() < 0.5 else [half, round(spend - half, 2)]
            lines += [(at, f"K{i:05d}", amount) for amount in amounts]
            if t > 0 and rng.random() < p:  # BG/NBD: dropout only right after a repeat purchase
                break
            t += rng.exponential(1 / lam)
    lines.append((datetime(2025, 12, 31, 23), None, 5.0))  # anonymous sale: last order day 31 Dec
    return pd.DataFrame(lines, columns=["transaction_at", "customer_key", "amount"])


def _expected_summary(lines: pd.DataFrame, cal_end: date) -> tuple[pd.DataFrame, pd.Series]:
    """x, t_x, T (weeks), mean repeat spend and holdout purchase days per week, computed in pandas."""
    days = lines.dropna(subset=["customer_key"]).assign(day=lambda f: f["transaction_at"].dt.normalize())
    days = days.groupby(["customer_key", "day"], as_index=False)["amount"].sum()
    end = pd.Timestamp(cal_end)
    cal = days[days["day"] <= end].sort_values(["customer_key", "day"])
    g = cal.groupby("customer_key")
    first = g["day"].transform("min")
    summary = pd.DataFrame(
        {
            "frequency": g.size() - 1,
            "recency": (g["day"].max() - g["day"].min()).dt.days / 7,
            "T": (end - g["day"].min()).dt.days / 7,
            "monetary_value": cal[cal["day"] > first].groupby("customer_key")["amount"].mean(),
        }
    ).fillna({"monetary_value": 0.0})
    later = days[(days["day"] > end) & days["customer_key"].isin(summary.index)]
    per_week = ((later["day"] - end).dt.days - 1) // 7 + 1
    return summary, per_week.value_counts().sort_index()


@pytest.fixture(scope="module")
def population() -> pd.DataFrame:
    return _simulate_lines(3000, seed=20260103)


def test_simulated_population_summary_fit_and_holdout(
    con: duckdb.DuckDBPyConnection, population: pd.DataFrame
) -> None:
    _load(con, population)
    summary = build_clv(con, KpiSettings())
    assert summary.calibration_end == date(2025, 10, 1)  # 31 Dec - 91 days
    assert summary.warnings == []
    expected, actual_per_week = _expected_summary(population, summary.calibration_end)
    stored = con.execute(
        'select customer_key, frequency, recency, "T", monetary_value from marts.customer_clv'
    ).df().set_index("customer_key").sort_index()  # fmt: skip
    pd.testing.assert_frame_equal(stored, expected.sort_index(), check_dtype=False, check_names=False)

    # Whole-day times shorten t_x and T by under a day (< 0.14 week); 4 SE covers that and sampling.
    truth = {"r": 0.8, "alpha": 6.0, "a": 1.5, "b": 6.0}
    for name, true in truth.items():
        se = summary.bgnbd_std_errors[name]
        assert abs(summary.bgnbd[name] - true) < 4 * se, f"{name}: {summary.bgnbd[name]:.3f} (se {se:.3f})"
    for name, true in {"p": 4.0, "q": 5.0, "gamma": 100.0}.items():
        se = summary.gamma_gamma_std_errors[name]
        assert abs(summary.gamma_gamma[name] - true) < 4 * se, f"{name}: {summary.gamma_gamma[name]:.3f}"

    holdout = con.execute("select * from marts.clv_holdout order by period_index").df()
    assert list(holdout["period_index"]) == list(range(1, 14))
    assert list(holdout["actual_repeat_transactions"]) == [actual_per_week.get(k, 0) for k in range(1, 14)]
    # The actual total is a sum of independent customers' counts: its SD is sqrt(n) x their SD.
    later = population.dropna().assign(day=lambda f: f["transaction_at"].dt.normalize())
    later = later[later["day"] > pd.Timestamp(summary.calibration_end)]
    counts = later.groupby("customer_key")["day"].nunique()
    per_customer = counts.reindex(expected.index, fill_value=0)
    sd_total = math.sqrt(len(per_customer)) * per_customer.std()
    assert abs(summary.holdout_predicted - summary.holdout_actual) < 4 * sd_total
    assert holdout["cumulative_actual"].iloc[-1] == summary.holdout_actual


def test_time_unit_changes_only_the_scale(con: duckdb.DuckDBPyConnection, population: pd.DataFrame) -> None:
    _load(con, population)
    weeks = build_clv(con, KpiSettings())
    days = build_clv(con, replace(KpiSettings(), clv_time_unit="days", clv_horizon=364))
    for name in ("r", "a", "b"):
        assert days.bgnbd[name] == pytest.approx(weeks.bgnbd[name], rel=1e-3)
    assert days.bgnbd["alpha"] == pytest.approx(7 * weeks.bgnbd["alpha"], rel=1e-3)
    # densities of t_x rescale by the Jacobian: LL_days = LL_weeks - sum(x) ln 7
    repeats = con.execute("select sum(frequency) from marts.customer_clv").fetchone()[0]
    jacobian = repeats * math.log(7)
    assert days.bgnbd_log_likelihood == pytest.approx(weeks.bgnbd_log_likelihood - jacobian, abs=1e-3)
    assert days.holdout_predicted == pytest.approx(weeks.holdout_predicted, rel=1e-3)
    assert days.holdout_periods == 91 and weeks.holdout_periods == 13


def test_no_repeat_purchases_leaves_empty_tables(tiny: duckdb.DuckDBPyConnection) -> None:
    # Calibration ending 10 Jan holds only A's first purchase (6 Jan): no repeat, nothing to fit.
    summary = build_clv(tiny, KpiSettings(clv_calibration_end=date(2025, 1, 10)))
    assert summary.n_customers == 0 and summary.bgnbd == {}
    assert summary.warnings == ["no repeat transactions in the calibration window: CLV tables left empty"]
    for table in ("clv_model_params", "customer_clv", "clv_holdout"):
        assert tiny.execute(f"select count(*) from marts.{table}").fetchone() == (0,)
    tiny.execute("delete from core.fct_order_lines")
    assert build_clv(tiny, KpiSettings()).calibration_end is None
