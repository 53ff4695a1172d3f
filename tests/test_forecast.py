"""Sales forecast: weekly aggregation in DuckDB, error metrics, method rule, backtest, output tables."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pytest
import yaml

from pipelines.kpi.forecast import (
    ACCURACY_COLUMNS,
    FORECAST_COLUMNS,
    choose_method,
    fit_forecast,
    forecast_channel,
    mape,
    run_forecast,
    wape,
    weekly_revenue,
)

PYTHON_SOURCES = (
    Path(__file__).resolve().parent.parent / "dbt_project/models/marts/_marts__python_sources.yml"
)


def _order_lines(con: duckdb.DuckDBPyConnection, rows: list[tuple[str, str, float]]) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS core")
    con.execute(
        "CREATE OR REPLACE TABLE core.fct_order_lines "
        "(transaction_at TIMESTAMP, channel_key VARCHAR, amount DECIMAL(12, 2))"
    )
    if rows:
        con.executemany("INSERT INTO core.fct_order_lines VALUES (?, ?, ?)", rows)


def _weekly_lines(channel: str, start: date, values: list[float]) -> list[tuple[str, str, float]]:
    """Each week's value as two halves, Monday and Sunday, so the first and last weeks are full."""
    rows = []
    for k, v in enumerate(values):
        monday = start + timedelta(weeks=k)
        rows += [(f"{monday} 10:00", channel, v / 2), (f"{monday + timedelta(days=6)} 18:00", channel, v / 2)]
    return rows


def test_weekly_aggregation_keeps_full_iso_weeks_only(con: duckdb.DuckDBPyConnection) -> None:
    _order_lines(
        con,
        [
            ("2025-01-01 09:00", "store", 5.00),  # Wednesday: partial first week, dropped
            ("2025-01-06 00:00", "store", 10.00),  # Monday 00:00 opens week 2025-01-06
            ("2025-01-12 23:59", "store", 20.00),  # Sunday night still in week 2025-01-06
            ("2025-01-13 08:00", "store", 7.50),
            ("2025-01-22 10:00", "store", 99.00),  # last day, a Wednesday: partial week, dropped
            ("2025-01-06 10:00", "online", 3.00),  # online starts on a Monday: week kept
            ("2025-01-06 11:00", "online", 4.00),
        ],
    )
    weekly = weekly_revenue(con)
    got = [(r.channel_key, r.week_start.date(), r.revenue) for r in weekly.itertuples()]
    assert got == [
        ("online", date(2025, 1, 6), 7.0),
        ("online", date(2025, 1, 13), 0.0),  # no sales that week: a zero, not a gap
        ("store", date(2025, 1, 6), 30.0),
        ("store", date(2025, 1, 13), 7.5),
    ]


def test_week_ending_on_the_last_sunday_is_complete(con: duckdb.DuckDBPyConnection) -> None:
    _order_lines(con, [("2025-01-06 10:00", "store", 1.00), ("2025-01-19 18:00", "store", 2.00)])
    weekly = weekly_revenue(con)
    assert [(r.week_start.date(), r.revenue) for r in weekly.itertuples()] == [
        (date(2025, 1, 6), 1.0),
        (date(2025, 1, 13), 2.0),
    ]


def test_wape_and_mape_arithmetic() -> None:
    actual = np.array([100.0, 200.0, 0.0, 50.0])
    forecast = np.array([110.0, 150.0, 10.0, 50.0])
    # |errors| 10, 50, 10, 0: WAPE 70 / 350; MAPE over the non-zero weeks (0.10 + 0.25 + 0) / 3.
    assert wape(actual, forecast) == pytest.approx(0.2)
    assert mape(actual, forecast) == pytest.approx(0.35 / 3)
    assert wape(np.zeros(3), np.ones(3)) is None
    assert mape(np.zeros(3), np.ones(3)) is None


def test_method_rule() -> None:
    assert choose_method(104) == "ETS(A,Ad,A) m=52"  # 2 full yearly cycles
    assert choose_method(103) == "ETS(A,Ad,N)"
    assert choose_method(43) == "ETS(A,Ad,N)"  # one year minus the backtest: the demo's case
    assert choose_method(10) == "ETS(A,Ad,N)"
    assert choose_method(9) == "naive"
    assert choose_method(2) == "naive"
    assert choose_method(1) == "none"
    assert choose_method(26, season_length=13) == "ETS(A,Ad,A) m=13"


def test_method_is_chosen_on_the_backtest_training_weeks() -> None:
    weeks = [date(2023, 1, 2) + timedelta(weeks=k) for k in range(112)]
    y = 1000 + 100 * np.sin(2 * np.pi * np.arange(112) / 52)
    _, short = forecast_channel(weeks[:111], y[:111], horizon=4, backtest_weeks=8)
    _, long = forecast_channel(weeks, y, horizon=4, backtest_weeks=8)
    assert short["method"] == "ETS(A,Ad,N)"  # 111 - 8 = 103 training weeks < 2 x 52
    assert long["method"] == "ETS(A,Ad,A) m=52"  # 112 - 8 = 104
    _, tiny = forecast_channel(weeks[:5], y[:5], horizon=4, backtest_weeks=8)
    assert tiny == {"backtest_weeks": 0, "mape": None, "wape": None, "method": "naive"}


def test_naive_fallback_interval_by_hand() -> None:
    fc = fit_forecast(np.array([10.0, 14.0, 12.0]), "naive", horizon=2)
    sd = np.sqrt(18.0)  # differences 4, -2: mean 1, sample variance (9 + 9) / 1
    assert fc.mean.tolist() == [12.0, 12.0]
    assert fc.lower.tolist() == pytest.approx([12 - 1.2815516 * sd, 12 - 1.2815516 * sd * np.sqrt(2)])
    assert fc.upper.tolist() == pytest.approx([12 + 1.2815516 * sd, 12 + 1.2815516 * sd * np.sqrt(2)])


def test_seasonal_method_beats_naive_and_holt_on_a_seasonal_series() -> None:
    rng = np.random.default_rng(7)
    t = np.arange(156)  # three years of weeks
    y = 1000 + 2 * t + 300 * np.sin(2 * np.pi * t / 52) + rng.normal(0, 30, t.size)
    weeks = [date(2023, 1, 2) + timedelta(weeks=int(k)) for k in t]
    rows, acc = forecast_channel(weeks, y, horizon=12, backtest_weeks=8)
    assert acc["method"] == "ETS(A,Ad,A) m=52"
    naive = wape(y[-8:], fit_forecast(y[:-8], "naive", 8).mean)
    holt = wape(y[-8:], fit_forecast(y[:-8], "ETS(A,Ad,N)", 8).mean)
    assert acc["wape"] < 0.5 * naive
    assert acc["wape"] < holt
    assert acc["wape"] < 0.05  # noise sd 30 on a level near 1300
    backtest = [r for r in rows if r["kind"] == "backtest"]
    assert [r["week_start"] for r in backtest] == weeks[-8:]
    covered = sum(r["lower"] <= a <= r["upper"] for r, a in zip(backtest, y[-8:], strict=True))
    assert covered >= 5  # an 80% interval should hold most of 8 weeks


def test_forecast_is_clipped_at_zero() -> None:
    y = np.array([100.0, 80.0, 60.0, 40.0, 20.0, 10.0, 5.0, 2.0, 1.0, 0.5, 0.2, 0.1])
    fc = fit_forecast(y, "ETS(A,Ad,N)", horizon=10)
    assert (fc.mean >= 0).all() and (fc.lower >= 0).all() and (fc.upper >= fc.mean).all()


def _yml_columns(table: str) -> list[str]:
    doc = yaml.safe_load(PYTHON_SOURCES.read_text())
    tables = {t["name"]: t for s in doc["sources"] for t in s["tables"]}
    return [c["name"] for c in tables[table]["columns"]]


def test_output_tables(con: duckdb.DuckDBPyConnection) -> None:
    start = date(2025, 1, 6)
    rng = np.random.default_rng(3)
    store = (1000 + rng.normal(0, 50, 30)).round(1).tolist()  # halves stay exact cents
    late = start + timedelta(weeks=27)  # phone orders open 3 weeks before the data ends
    _order_lines(
        con, _weekly_lines("store", start, store) + _weekly_lines("phone_order", late, [5.0, 6.0, 4.0])
    )
    summary = run_forecast(con, horizon=12, backtest_weeks=8)
    assert summary["channels"] == 2 and summary["history_weeks"] == 30
    for table, columns in (
        ("sales_forecast", FORECAST_COLUMNS),
        ("sales_forecast_accuracy", ACCURACY_COLUMNS),
    ):
        described = con.execute(f"DESCRIBE marts.{table}").fetchall()
        assert [(r[0], r[1]) for r in described] == list(columns.items())
        assert [r[0] for r in described] == _yml_columns(table)
    counts = con.execute(
        "SELECT channel_key, kind, count(*), min(week_start), max(week_start), any_value(method) "
        "FROM marts.sales_forecast GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    last = start + timedelta(weeks=29)
    assert counts == [
        ("phone_order", "actual", 3, late, last, "naive"),
        ("phone_order", "forecast", 12, last + timedelta(weeks=1), last + timedelta(weeks=12), "naive"),
        ("store", "actual", 30, start, last, "ETS(A,Ad,N)"),
        ("store", "backtest", 8, last - timedelta(weeks=7), last, "ETS(A,Ad,N)"),
        ("store", "forecast", 12, last + timedelta(weeks=1), last + timedelta(weeks=12), "ETS(A,Ad,N)"),
    ]
    bad = con.execute(
        "SELECT count(*) FROM marts.sales_forecast WHERE kind <> 'actual' "
        "AND NOT (0 <= lower AND lower <= revenue AND revenue <= upper)"
    ).fetchone()
    assert bad == (0,)
    accuracy = con.execute("SELECT * FROM marts.sales_forecast_accuracy ORDER BY channel_key").fetchall()
    assert accuracy[0] == ("phone_order", 0, None, None, "naive")  # 3 weeks: nothing to hold out
    assert accuracy[1][:2] == ("store", 8) and accuracy[1][4] == "ETS(A,Ad,N)"
    # Store WAPE by hand from the table's own backtest rows.
    pairs = con.execute(
        "SELECT a.revenue, b.revenue FROM marts.sales_forecast a JOIN marts.sales_forecast b "
        "USING (channel_key, week_start) WHERE a.kind = 'actual' AND b.kind = 'backtest'"
    ).fetchall()
    assert accuracy[1][3] == pytest.approx(sum(abs(a - f) for a, f in pairs) / sum(a for a, _ in pairs))
    assert 0 < accuracy[1][3] < 0.1  # a flat series with 5% noise


def test_empty_history_writes_empty_tables(con: duckdb.DuckDBPyConnection) -> None:
    _order_lines(con, [])
    summary = run_forecast(con, horizon=12, backtest_weeks=8)
    assert summary == {"channels": 0, "history_weeks": 0, "last_full_week": None, "accuracy": []}
    assert con.execute("SELECT count(*) FROM marts.sales_forecast").fetchone() == (0,)
    assert [r[0] for r in con.execute("DESCRIBE marts.sales_forecast_accuracy").fetchall()] == list(
        ACCURACY_COLUMNS
    )


def test_rerun_replaces_the_tables(con: duckdb.DuckDBPyConnection) -> None:
    _order_lines(con, _weekly_lines("store", date(2025, 1, 6), [10.0] * 12))
    run_forecast(con, horizon=4, backtest_weeks=2)
    run_forecast(con, horizon=4, backtest_weeks=2)
    assert con.execute(
        "SELECT kind, count(*) FROM marts.sales_forecast GROUP BY ALL ORDER BY ALL"
    ).fetchall() == [
        ("actual", 12),
        ("backtest", 2),
        ("forecast", 4),
    ]
