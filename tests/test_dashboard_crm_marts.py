"""The dashboard's CRM charts (issue 23) equal the figures recomputed from core, on a dbt-built warehouse.

200 days of a 200-customer simulation: long enough for churned (180 days) and at-risk customers
(buying less often, complaints, bad experiences), product pairs in 5+ baskets and consent
answers, which the 30-day `built` lacks.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import date, timedelta
from itertools import combinations
from pathlib import Path
from typing import Any

import pytest

from pipelines.kpi.dashboard.catalog import CHARTS
from pipelines.kpi.dashboard.formatting import Money
from pipelines.kpi.dashboard.queries import ChartData, chart_data
from pipelines.kpi.dashboard.render import render_dashboard
from pipelines.kpi.settings import KpiSettings
from tests.churn_expect import expected_churn
from tests.dashboard_fixtures import launch_browser, open_dashboard
from tests.dbt_core_fixtures import Built, build_simulated

pytestmark = pytest.mark.integration  # marts built by real dbt (tests/dbt_core_fixtures.py)

SIMULATION = {"customers": 200, "days": 200, "seed": 3}
KPI = KpiSettings()


@pytest.fixture(scope="module")
def long_built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    yield from build_simulated(tmp_path_factory.mktemp("dash_crm"), SIMULATION)


@pytest.fixture(scope="module")
def charts(long_built: Built) -> dict[str, ChartData]:
    return chart_data(long_built.con)


def _rows(built: Built, sql: str) -> list[tuple[Any, ...]]:
    return built.con.execute(sql).fetchall()


def _as_of(built: Built) -> date:
    return _rows(built, "select max(transaction_at)::date from core.fct_order_lines")[0][0]


def _purchase_days(built: Built) -> dict[str, list[date]]:
    days: dict[str, list[date]] = defaultdict(list)
    for customer, day in _rows(
        built,
        "select distinct customer_key, transaction_at::date from core.fct_order_lines "
        "where customer_key is not null order by 1, 2",
    ):
        days[customer].append(day)
    return days


def _month(day: date) -> date:
    return day.replace(day=1)


def test_acquisition_is_each_buyers_first_evidence(long_built: Built, charts) -> None:
    first = _rows(
        long_built,
        """select date_trunc('month', min(touched_at))::date,
                  arg_min(channel_key, struct_pack(touched_at, touchpoint_key))
           from core.fct_touchpoints
           where customer_key in (select customer_key from core.fct_order_lines)
           group by customer_key""",
    )
    expected = Counter((month, channel or "unknown") for month, channel in first)
    frame = charts["acquisition"].frame
    shown = {(m.date(), c): n for m, c, n in frame[["acquisition_month", "channel", "new_customers"]].values}
    assert shown == dict(expected) and sum(shown.values()) == len(first) > 50


def test_churn_per_month_is_recomputed_from_purchases(long_built: Built, charts) -> None:
    """A customer churns churn_days after a purchase day that no purchase follows within them."""
    as_of, gap = _as_of(long_built), timedelta(days=KPI.churn_days)
    churned: dict[date, set[str]] = defaultdict(set)
    for customer, days in _purchase_days(long_built).items():
        for day, after in zip(days, [*days[1:], None], strict=True):
            if (after is None and day + gap <= as_of) or (after is not None and after > day + gap):
                churned[_month(day + gap)].add(customer)
    frame = charts["churn"].frame
    shown = dict(zip(frame["month"].dt.date, frame["churned"], strict=True))
    assert {m: n for m, n in shown.items() if n} == {m: len(c) for m, c in churned.items()}
    assert sum(shown.values()) > 0


def _churn_status_from_core(built: Built) -> Counter[tuple[str, str | None, str]]:
    """Customers per (status, churn risk reason, next action), recomputed from core.*."""
    return Counter(expected_churn(built.con, KPI).values())


def test_churn_status_is_recomputed_from_core(long_built: Built, charts) -> None:
    """Status, reason and next action as customer_churn's rule says, recomputed from core; and the
    chart's counts are the mart's (the chart holds no rule of its own)."""
    frame = charts["churn_status"].frame
    shown: Counter[tuple[str, str | None, str]] = Counter()
    for status, reason, total, actions, counts in frame[
        ["status", "reason", "customers", "next_actions", "next_action_customers"]
    ].values:
        assert sum(counts) == total
        for action, n in zip(actions, counts, strict=True):
            shown[status, reason if isinstance(reason, str) else None, action] += n
    assert shown == _churn_status_from_core(long_built)
    mart = _rows(
        long_built,
        "select case when is_churned then 'churned' when is_at_risk then 'at_risk' else 'active' end, "
        "churn_risk_reason, next_action, count(*) from marts.customer_churn group by all",
    )
    assert shown == Counter({(s, r, a): n for s, r, a, n in mart})
    statuses = Counter(status for status, _, _ in shown.elements())
    assert len(statuses) == 3 and min(statuses.values()) > 0
    assert len({reason for status, reason, _ in shown if status == "at_risk"}) >= 2


def test_satisfaction_is_recomputed_from_the_surveys(long_built: Built, charts) -> None:
    answers = _rows(
        long_built,
        "select date_trunc('month', started_at)::date, channel, csat, nps from core.fct_interactions "
        f"where (csat is not null or nps is not null) and started_at::date <= '{_as_of(long_built)}'",
    )
    groups: dict[tuple[date, str], list[tuple[Any, Any]]] = defaultdict(list)
    for month, channel, csat, nps in answers:
        groups[(month, "all")].append((csat, nps))
        groups[(month, channel)].append((csat, nps))
    frame = charts["satisfaction"].frame
    shown = {(m.date(), c): (a, n) for m, c, a, n in frame[["month", "channel", "avg_csat", "nps"]].values}
    assert set(shown) == set(groups)
    for key, pairs in groups.items():
        csat = [c for c, _ in pairs if c is not None]
        nps = [n for _, n in pairs if n is not None]
        score = 100 * (sum(n >= 9 for n in nps) - sum(n <= 6 for n in nps)) / len(nps) if nps else None
        assert shown[key] == pytest.approx((sum(csat) / len(csat) if csat else None, score)), key


def test_loyalty_is_recomputed_from_the_golden_records(long_built: Built, charts) -> None:
    as_of = _as_of(long_built)
    member = dict(
        _rows(long_built, "select customer_key, is_loyalty_member from core.dim_customer where is_current")
    )
    orders = dict(
        _rows(
            long_built,
            "select customer_key, count(distinct transaction_id) from core.fct_order_lines "
            "where customer_key is not null group by 1",
        )
    )
    revenue = dict(_rows(long_built, "select customer_key, sum(amount) from core.fct_order_lines group by 1"))
    last = {c: days[-1] for c, days in _purchase_days(long_built).items()}
    total = sum(float(revenue.get(c) or 0) for c in member)
    frame = charts["loyalty"].frame.set_index("loyalty_status")
    for status, flag in (("member", True), ("non_member", False)):
        people = [c for c, m in member.items() if bool(m) == flag]
        buyers = [c for c in people if c in orders]
        row = frame.loc[status]
        assert (row["customers"], row["buyers"]) == (len(people), len(buyers))
        assert row["repeat_rate"] == pytest.approx(sum(orders[c] >= 2 for c in buyers) / len(buyers))
        kept = sum((as_of - last[c]).days < KPI.churn_days for c in buyers)
        assert row["retention_rate"] == pytest.approx(kept / len(buyers))
        assert float(row["revenue_share"]) == pytest.approx(
            sum(float(revenue.get(c) or 0) for c in people) / total
        )


def test_opt_in_is_recomputed_from_the_consents(long_built: Built, charts) -> None:
    frame = charts["opt_in"].frame.set_index("channel")
    assert list(frame.index) == ["email", "sms", "phone", "mail"]
    for channel in frame.index:
        answers = Counter(
            a
            for (a,) in _rows(long_built, f"select consent_{channel} from core.dim_customer where is_current")
        )
        row = frame.loc[channel]
        assert (row["opted_in"], row["opted_out"], row["not_asked"]) == (
            answers[True],
            answers[False],
            answers[None],
        )
        assert 0 <= row["opted_in_unreachable"] <= row["opted_in"]
    assert frame["opted_in"].sum() > 0


def test_product_pairs_are_recomputed_from_the_baskets(long_built: Built, charts) -> None:
    baskets: dict[str, set[str]] = defaultdict(set)
    for transaction, sku in _rows(
        long_built, "select transaction_id, sku from core.fct_order_lines where sku is not null"
    ):
        baskets[transaction].add(sku)
    alone = Counter(sku for skus in baskets.values() for sku in skus)
    together = Counter(pair for skus in baskets.values() for pair in combinations(sorted(skus), 2))
    n = len(baskets)
    pairs = [
        (-both, -(both * n / (alone[a] * alone[b])), a, b)
        for (a, b), both in together.items()
        if both >= KPI.basket_min_pair_baskets and both * n > alone[a] * alone[b]
    ]
    expected = [(a, b, -both) for both, _, a, b in sorted(pairs)[:10]]
    frame = charts["product_pairs"].frame
    assert list(zip(frame["sku_a"], frame["sku_b"], frame["baskets_with_both"], strict=True)) == expected
    assert len(expected) > 0
    names = dict(_rows(long_built, "select sku, product_name from core.dim_product"))
    assert list(frame["name_a"]) == [names[a] for a in frame["sku_a"]]  # bundle_candidates names them


def test_every_chart_draws_the_built_marts_in_chromium(long_built: Built, tmp_path: Path) -> None:
    result = render_dashboard(long_built.con, tmp_path, Money("USD"))
    browser_gen = launch_browser()
    browser = next(browser_gen)
    try:
        report = open_dashboard(browser, result.path)
    finally:
        browser_gen.close()
    assert report.console_errors == [] and report.page_errors == []
    new = ["acquisition", "churn", "churn_status", "loyalty", "satisfaction", "opt_in", "product_pairs"]
    assert set(new) <= set(result.charts_with_data)
    assert report.undrawn() == [n for n in CHARTS if n not in result.charts_with_data]
    assert "Amounts in USD ($)." in result.path.read_text(encoding="utf-8")
