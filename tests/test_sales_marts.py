"""Issue 23 marts recomputed from core tables: leads, telesales call list, follow-ups, churn reasons.

A 75-day simulation from 1 April 2025 (300 customers): an e-mail campaign (responses with
consent), the May telesales campaign, three vendor lists whose prospects telesales call, so
that every lead status occurs. Each figure is recomputed here in Python from the core rows
(a few hundred) and compared with the mart built by dbt.
"""

from __future__ import annotations

import re
import shutil
from collections import defaultdict
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from pipelines.kpi.settings import KpiSettings
from tests.churn_expect import expected_churn
from tests.dbt_core_fixtures import Built, build_simulated
from tests.dbt_helpers import _dbt

pytestmark = pytest.mark.integration  # marts built by real dbt (tests/dbt_core_fixtures.py)

SIMULATION = {"customers": 300, "days": 75, "seed": 3, "start_date": date(2025, 4, 1)}
KPI = KpiSettings()


@pytest.fixture(scope="module")
def sales(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    yield from build_simulated(tmp_path_factory.mktemp("sales_marts"), SIMULATION)


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def _as_of(con: duckdb.DuckDBPyConnection) -> date:
    return _rows(con, "select max(transaction_at)::date from core.fct_order_lines")[0][0]


def _sales(con: duckdb.DuckDBPyConnection) -> dict[str, list[datetime]]:
    out: dict[str, list[datetime]] = defaultdict(list)
    for key, at in _rows(
        con, "select customer_key, transaction_at from core.fct_order_lines where customer_key is not null"
    ):
        out[key].append(at)
    return out


def expected_leads(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, str, date]]:
    """customer_key -> (lead_source, status, status_date), by the rules of docs/kpis.md."""
    as_of = _as_of(con)
    events: list[tuple[str, datetime, str]] = []
    for key, file, loaded in _rows(
        con,
        """select m.customer_key, r.source_file, r.loaded_at from staging.stg_compiled_list__records r
           join core.customer_identity_map m
             on m.source_system = 'compiled_list' and m.source_record_id = r.record_id""",
    ):
        found = re.search(r"(\d{4}-\d{2}-\d{2})", file or "")
        events.append((key, datetime.fromisoformat(found.group(1)) if found else loaded, "compiled_list"))
    events += [
        (k, at, "campaign_response")
        for k, at in _rows(con, "select customer_key, responded_at from core.fct_campaign_responses")
    ]
    events += [
        (k, at, "web_signup")
        for k, at in _rows(
            con, "select customer_key, occurred_at from core.fct_web_events where event_type = 'signup'"
        )
    ]
    first: dict[str, tuple[datetime, str]] = {}
    for key, at, source in events:
        if key is not None and at.date() <= as_of and (key not in first or (at, source) < first[key]):
            first[key] = (at, source)
    sales, calls = _sales(con), defaultdict(list)
    for key, at, answered in _rows(
        con,
        """select customer_key, started_at, answered_at is not null from core.fct_interactions
           where direction = 'outbound' and queue = 'telesales' and customer_key is not null""",
    ):
        calls[key].append((at, answered))
    leads = {}
    for key, (seen, source) in first.items():
        if any(at < seen for at in sales[key]):
            continue
        bought = [at for at in sales[key] if at.date() <= as_of]
        reached = [at for at, answered in calls[key] if answered and seen <= at and at.date() <= as_of]
        if bought:
            leads[key] = (source, "converted", min(bought).date())
        elif reached and min(reached).date() + timedelta(KPI.lead_lost_days) <= as_of:
            leads[key] = (source, "lost", min(reached).date() + timedelta(KPI.lead_lost_days))
        elif reached:
            leads[key] = (source, "contacted", min(reached).date())
        else:
            leads[key] = (source, "new", seen.date())
    return leads


def check_leads(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, str, date]]:
    mart = {
        k: (s, st, d)
        for k, s, st, d in _rows(
            con, "select customer_key, lead_source, status, status_date from marts.sales_leads"
        )
    }
    assert mart == expected_leads(con)
    return mart


def test_sales_leads_statuses_recomputed_and_all_occur(sales: Built) -> None:
    mart = check_leads(sales.con)
    assert {status for _, status, _ in mart.values()} == {"new", "contacted", "converted", "lost"}


def check_call_list(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    as_of = _as_of(con)
    phone = {
        k
        for (k,) in _rows(
            con,
            """select customer_key from core.dim_customer
               where is_current and consent_phone and nullif(trim(phone), '') is not null""",
        )
    }
    recent = {
        k
        for k, at in _rows(
            con,
            """select customer_key, started_at from core.fct_interactions
               where direction = 'outbound' and queue = 'telesales'""",
        )
        if as_of - timedelta(KPI.telesales_recontact_days) < at.date() <= as_of
    }
    reasons: dict[str, str] = {}
    candidates = [
        ("select customer_key from marts.sales_leads where status = 'new'", "new_lead"),
        ("select customer_key from marts.sales_leads where status = 'contacted'", "lead_follow_up"),
        (
            """select customer_key from marts.customer_churn
               where next_action in ('retention_offer', 'win_back_offer')""",
            "lapsed_customer",
        ),
        ("select customer_key from marts.next_best_offer", "cross_sell"),
    ]
    for sql, reason in candidates:
        for (k,) in _rows(con, sql):
            reasons.setdefault(k, reason)
    expected = {k: r for k, r in reasons.items() if k in phone and k not in recent}
    listed = _rows(
        con, "select call_rank, customer_key, call_reason from marts.telesales_call_list order by call_rank"
    )
    assert {k: r for _, k, r in listed} == expected
    assert [rank for rank, _, _ in listed] == list(range(1, len(listed) + 1))
    order = ["new_lead", "lead_follow_up", "lapsed_customer", "cross_sell"]
    assert [order.index(r) for _, _, r in listed] == sorted(order.index(r) for _, _, r in listed)
    # Within a reason: the newest lead first, the customer with the highest net revenue first.
    seen = dict(_rows(con, "select customer_key, epoch(first_seen_at) from marts.sales_leads"))
    revenue = dict(_rows(con, "select customer_key, net_revenue from marts.kpi_customer_value"))
    for reason in order:
        keys = [k for _, k, r in listed if r == reason]
        score = seen if reason in order[:2] else revenue
        values = [float(score.get(k) or 0) for k in keys]
        assert values == sorted(values, reverse=True), reason
    return listed


def test_call_list_eligibility_and_rank(sales: Built, tmp_path: Path) -> None:
    # Phone consent is rare in a small simulation (responses only): on a copy of the warehouse,
    # half the customers with a phone number consent, and the list is rebuilt by dbt.
    assert check_call_list(sales.con) is not None
    copy = tmp_path / "warehouse.duckdb"  # the file name is the database name dbt compiles
    source = _rows(sales.con, "select path from duckdb_databases() where database_name = current_database()")[
        0
    ][0]
    shutil.copyfile(source, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute(
            """update core.dim_customer set consent_phone = true
               where is_current and phone is not null and hash(customer_key) % 2 = 0"""
        )
    run = _dbt(["build", "--select", "telesales_call_list+"], copy, tmp_path / "dbt")
    assert run.returncode == 0, run.output[-3000:]
    with duckdb.connect(str(copy), read_only=True) as con:
        listed = check_call_list(con)
    assert len({reason for _, _, reason in listed}) >= 2, listed


def expected_followups(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, int]]:
    as_of, fcr, rows = _as_of(con), KPI.fcr_days, defaultdict(list)
    for row in _rows(
        con,
        """select customer_key, interaction_id, started_at, direction, queue, reason, answered_at is not null,
                  abandoned, resolved from core.fct_interactions where customer_key is not null""",
    ):
        if row[2].date() <= as_of:
            rows[row[0]].append(row[1:])
    out = {}
    for contacts in rows.values():
        for iid, at, direction, queue, reason, answered, abandoned, resolved in contacts:
            if abandoned or queue == "telesales" or (as_of - at.date()).days > KPI.followup_max_age_days:
                continue
            if reason is not None and any(
                r == reason and a > at and res for _, a, _, _, r, _, _, res in contacts
            ):
                continue
            repeat = (
                direction == "inbound"
                and answered
                and reason is not None
                and any(
                    d == "inbound" and r == reason and at - timedelta(fcr) <= a < at
                    for _, a, d, _, r, _, _, _ in contacts
                )
            )
            complaint = queue == "complaints" or "complaint" in (reason or "")
            if complaint and resolved is not True:
                out[iid] = ("complaint", (as_of - at.date()).days)
            elif repeat and as_of < at.date() + timedelta(fcr):
                out[iid] = ("repeat_contact", (as_of - at.date()).days)
            elif resolved is False:
                out[iid] = ("unresolved", (as_of - at.date()).days)
    return out


def check_followups(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, int]]:
    mart = {
        i: (r, a)
        for i, r, a in _rows(
            con, "select interaction_id, followup_reason, age_days from marts.contact_followups"
        )
    }
    assert mart == expected_followups(con)
    return mart


def test_contact_followups_recomputed(sales: Built) -> None:
    assert check_followups(sales.con)


def check_churn(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str | None, str]]:
    mart = {
        k: (r, a)
        for k, r, a in _rows(
            con, "select customer_key, churn_risk_reason, next_action from marts.customer_churn"
        )
    }
    assert mart == {k: (r, a) for k, (_, r, a) in expected_churn(con).items()}
    return mart


def test_churn_reasons_and_actions_recomputed(sales: Built) -> None:
    mart = check_churn(sales.con)
    assert {a for _, a in mart.values()} >= {"no_action", "service_recovery_call"}
