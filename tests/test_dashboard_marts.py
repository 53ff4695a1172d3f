"""The dashboard's figures equal the marts' for the same period, on a dbt-built warehouse."""

from __future__ import annotations

import re
from typing import Any

import pytest

from pipelines.kpi.dashboard.formatting import Money
from pipelines.kpi.dashboard.queries import chart_data
from pipelines.kpi.dashboard.render import render_dashboard
from tests.dbt_core_fixtures import Built

pytestmark = pytest.mark.integration  # marts built by real dbt (tests/dbt_core_fixtures.py)


def _one(built: Built, sql: str, *params: object) -> Any:
    return built.con.execute(sql, list(params)).fetchone()[0]


@pytest.fixture(scope="module")
def dashboard(built: Built, tmp_path_factory: pytest.TempPathFactory):
    result = render_dashboard(built.con, tmp_path_factory.mktemp("reports"), Money("EUR"))
    tiles = {t.key: t for t in result.tiles}
    start = _one(built, "select window_start from marts.kpi_headline where window_name = 'current'")
    return result, tiles, start


def test_the_window_holds_every_order_month(built: Built, dashboard) -> None:
    """The 30-day simulation fits the current window, so whole-month marts cover the same days."""
    result, _, start = dashboard
    assert result.as_of == _one(built, "select max(transaction_at)::date from core.fct_order_lines")
    assert _one(built, "select min(transaction_at)::date from core.fct_order_lines") >= start


def test_perfect_order_tile_is_the_mart_rate(built: Built, dashboard) -> None:
    _, tiles, start = dashboard
    perfect, orders = built.con.execute(
        """select sum(perfect_orders), sum(orders) from marts.kpi_perfect_order
           where month >= date_trunc('month', ?)""",
        [start],
    ).fetchone()
    assert orders > 0
    assert tiles["perfect_order_rate"].value == pytest.approx(perfect / orders)


def test_service_level_tile_is_the_chart_and_the_queue_mart(built: Built, dashboard) -> None:
    result, tiles, start = dashboard
    in_sl, offered = built.con.execute(
        """select sum(answered_within_sl), sum(offered) from marts.kpi_call_center_daily
           where in_service_level_scope and date_day between ? and ?""",
        [start, result.as_of],
    ).fetchone()
    assert offered > 0
    assert tiles["service_level"].value == pytest.approx(in_sl / offered)
    chart = chart_data(built.con)["call_center"].frame
    window = chart[(chart["date_day"].dt.date >= start) & (chart["date_day"].dt.date <= result.as_of)]
    chart_level = (window["service_level"] * window["offered"]).sum() / window["offered"].sum()
    assert tiles["service_level"].value == pytest.approx(chart_level)


def test_nps_and_new_customer_tiles_are_the_marts(built: Built, dashboard) -> None:
    result, tiles, start = dashboard
    promoters, detractors, responses = built.con.execute(
        """select sum(promoters), sum(detractors), sum(nps_responses) from marts.kpi_call_center_daily
           where date_day between ? and ?""",
        [start, result.as_of],
    ).fetchone()
    assert tiles["nps"].value == pytest.approx(100.0 * (promoters - detractors) / responses)
    new = _one(
        built, "select sum(new_customers) from marts.kpi_acquisition where acquisition_month >= ?", start
    )
    assert tiles["new_customers"].value == new
    # Thirty days of history are all warm-up: the tile, the months and the cohorts say so.
    assert tiles["new_customers"].note is not None
    assert _one(built, "select bool_and(is_warm_up) from marts.kpi_acquisition")
    assert not _one(built, "select bool_or(is_complete) from marts.kpi_cohort_retention")


def test_cohort_sizes_are_the_monthly_new_customers(built: Built) -> None:
    rows = built.con.execute(
        """select c.cohort_month, c.cohort_size, a.new_customers from marts.kpi_cohort_retention c
           join (select acquisition_month, sum(new_customers) as new_customers from marts.kpi_acquisition
                 group by all) a on a.acquisition_month = c.cohort_month
           where c.months_since_first = 0"""
    ).fetchall()
    assert rows and all(size == new for _, size, new in rows)


def test_a_customer_is_new_at_its_first_evidence(built: Built) -> None:
    """Some customers were seen (web, contact, campaign) before their first sale: acquired then."""
    earlier = _one(
        built,
        """select count(*) from marts.customer_acquisition a
           join (select customer_key, min(transaction_at) as first_sale from core.fct_order_lines
                 where customer_key is not null group by all) s using (customer_key)
           where a.first_seen_at < s.first_sale""",
    )
    later = _one(
        built,
        """select count(*) from marts.customer_acquisition a
           join (select customer_key, min(transaction_at) as first_sale from core.fct_order_lines
                 where customer_key is not null group by all) s using (customer_key)
           where a.first_seen_at > s.first_sale""",
    )
    assert earlier > 0 and later == 0


def test_charts_without_data_say_why(built: Built) -> None:
    """Thirty days give CLV no repeat buyers to fit; whatever is missing says rows or values."""
    for name, data in chart_data(built.con).items():
        if data.frame is None:
            assert data.note and re.fullmatch(
                r"marts\.\w+ (is empty|has [\d,]+ rows, (no \w+ values|no product pair .*))", data.note
            ), name
