"""kpi_self_service and the issue-23 segment attributes equal a recomputation from core tables."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from pipelines.kpi.settings import KpiSettings
from tests.dbt_core_fixtures import Built, build_simulated

pytestmark = pytest.mark.integration  # marts built by real dbt (tests/dbt_core_fixtures.py)

# Longer than the shared `built` (200 customers, 30 days): enough delivery problems and service
# contacts that some self-service sessions are followed by a contact and some are not.
SIMULATION = {"customers": 300, "days": 45, "seed": 3}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    """The dbt-built warehouse of SIMULATION, identity from the truth."""
    yield from build_simulated(tmp_path_factory.mktemp("self_service"), SIMULATION)


TOPICS = (  # the URL rules of macro self_service_topic, written independently
    ("order_status", r"/order-status|/account/orders(/.*)?"),
    ("shipping", r"/delivery|/help/(shipping|delivery-times|track-parcel)"),
    ("account", r"/account(/(details|addresses|password|preferences))?"),
    ("faq", r"/returns|/help(/.*)?"),
)


def _topic(url: str | None) -> str | None:
    path = re.sub(r"^[a-z][a-z0-9+.-]*://[^/?#]*", "", (url or "").lower())
    path = re.split(r"[?#]", path)[0].rstrip("/")
    return next((name for name, rule in TOPICS if re.fullmatch(rule, path)), None)


def _rows(built: Built, sql: str) -> list[tuple[Any, ...]]:
    return built.con.execute(sql).fetchall()


def _expected_self_service(built: Built) -> dict[tuple, tuple]:
    as_of = _rows(built, "select max(transaction_at)::date from core.fct_order_lines")[0][0]
    events = _rows(
        built,
        "select session_id, occurred_at, event_id, event_type, url, customer_key, device_type "
        "from core.fct_web_events order by session_id, occurred_at, event_id",
    )
    sessions: dict[str, dict[str, Any]] = {}
    for sid, at, _eid, etype, url, customer, device in events:
        s = sessions.setdefault(sid, {"start": at, "device": device, "topic": None, "at": None})
        s["customer"] = customer if customer is not None else s.get("customer")
        topic = _topic(url) if etype == "page_view" else None
        if topic and s["topic"] is None:
            s["topic"], s["at"] = topic, at
    contacts = defaultdict(list)
    for customer, started in _rows(
        built,
        "select customer_key, started_at from core.fct_interactions where direction = 'inbound' "
        "and queue <> 'telesales' and customer_key is not null",
    ):
        if started.date() <= as_of:
            contacts[customer].append(started)
    window = timedelta(days=KpiSettings().self_service_deflection_days)
    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for s in sessions.values():
        if s["topic"] and s["start"].date() <= as_of:
            groups[(s["start"].date(), "web", s["device"] or "unknown", s["topic"])].append(s)
    out = {}
    for key, members in groups.items():
        known = [s for s in members if s["customer"] is not None]
        followed = [s for s in known if any(s["at"] < c <= s["at"] + window for c in contacts[s["customer"]])]
        out[key] = (
            len(members),
            len(members) - len(known),
            len(known),
            len({s["customer"] for s in known}),
            len(followed),
            len(known) - len(followed),
            key[0] + window <= as_of,
        )
    return out


def test_kpi_self_service_equals_recomputation_from_core(built: Built) -> None:
    expected = _expected_self_service(built)
    actual = {
        row[:4]: row[4:]
        for row in _rows(
            built,
            "select session_date, channel, device_type, topic, self_service_sessions, anonymous_sessions, "
            "identified_sessions, customers, sessions_followed_by_contact, contacts_deflected, "
            "deflection_window_closed from marts.kpi_self_service",
        )
    }
    assert expected, "the fixture has no self-service sessions"
    assert actual == expected
    assert {k[3] for k in actual} >= {"order_status", "account", "faq"}
    totals = [sum(v[i] for v in actual.values()) for i in range(6)]
    assert totals[1] > 0 and totals[4] > 0 and totals[5] > 0, totals  # anonymous, followed, deflected


def _top(weights: dict[str, Counter]) -> dict[str, str]:
    return {c: min(w.items(), key=lambda kv: (-kv[1], kv[0]))[0] for c, w in weights.items()}


def test_segment_attributes_equal_recomputation_from_core(built: Built) -> None:
    as_of = _rows(built, "select max(transaction_at)::date from core.fct_order_lines")[0][0]
    lang: dict[str, Counter] = defaultdict(Counter)
    interest: dict[str, Counter] = defaultdict(Counter)
    category = dict(_rows(built, "select product_key, category from core.dim_product"))
    for customer, at, locale, etype, product in _rows(
        built,
        "select customer_key, occurred_at, locale, event_type, product_key from core.fct_web_events "
        "where customer_key is not null",
    ):
        if at.date() > as_of:
            continue
        code = (locale or "").split("-")[0].lower()
        if re.fullmatch(r"[a-z]{2,3}", code):
            lang[customer][code] += 1
        if etype in ("product_view", "add_to_cart") and category.get(product):
            interest[customer][category[product]] += 1
    orders: dict[str, set] = defaultdict(set)
    for customer, txn, at, payment, channel in _rows(
        built,
        "select customer_key, transaction_id, transaction_at, payment_type, channel_key "
        "from core.fct_order_lines where customer_key is not null",
    ):
        if at.date() <= as_of:
            orders[customer].add((txn, payment, channel))
    pay: dict[str, Counter] = defaultdict(Counter)
    chan: dict[str, Counter] = defaultdict(Counter)
    for customer, txns in orders.items():
        for _txn, payment, channel in txns:
            if payment:
                pay[customer][payment] += 1
            if channel:
                chan[customer][channel] += 1
    tops = [_top(lang), _top(interest), _top(pay), _top(chan)]
    rows = _rows(
        built,
        "select customer_key, language, top_interest_category, preferred_payment_type, preferred_channel "
        "from marts.customer_segments",
    )
    assert rows
    for customer, *values in rows:
        assert values == [t.get(customer) for t in tops], customer
    filled = [sum(v is not None for v in col) for col in zip(*(r[1:] for r in rows), strict=True)]
    assert all(n > 0 for n in filled), filled
    languages = {r[1] for r in rows if r[1]}
    assert len(languages) >= 2, languages
    segment_rows = _rows(
        built,
        "select dimension, sum(customers) from marts.kpi_market_segments where dimension in "
        "('language', 'preferred_channel') group by dimension",
    )
    assert {d: n for d, n in segment_rows} == {"language": len(rows), "preferred_channel": len(rows)}
