"""CLV as net profit (issue 23) on hand-made warehouses: margin, returns and cost to serve by hand."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd
import pytest

from pipelines.kpi.clv import build_clv
from pipelines.kpi.settings import KpiSettings
from tests.test_campaign_lift import _documented
from tests.test_clv_warehouse import LINES, _load

D = datetime.fromisoformat
# Last order day 31 Mar, 14 holdout days: calibration end 17 Mar. Lines after it do not count.
ORDER_LINES = [  # (transaction_at, customer_key, amount, cost_amount)
    (D("2025-01-06 10:00"), "A", 100.0, 60.0),
    (D("2025-01-20 10:00"), "A", 50.0, None),
    (D("2025-02-03 10:00"), "A", 100.0, 70.0),
    (D("2025-03-20 10:00"), "A", 200.0, 100.0),
    (D("2025-01-10 10:00"), "B", 80.0, None),
    (D("2025-02-10 10:00"), "B", 40.0, None),
    (D("2025-02-01 10:00"), "C", 30.0, 30.0),
    (D("2025-03-31 10:00"), "D", 10.0, 5.0),
    (D("2025-02-01 10:00"), None, 500.0, 1.0),
]
RETURNS = [  # (returned_at, customer_key, refund_amount)
    (D("2025-02-10 09:00"), "A", 25.0),
    (D("2025-03-25 09:00"), "A", 100.0),
    (D("2025-02-15 09:00"), "C", 30.0),
    (D("2025-02-15 09:00"), None, 80.0),
]
INTERACTIONS = [  # (started_at, customer_key, direction)
    (D("2025-01-15 09:00"), "A", "inbound"),
    (D("2025-02-20 09:00"), "A", "inbound"),
    (D("2025-02-21 09:00"), "A", "outbound"),
    (D("2025-01-01 09:00"), "A", "inbound"),
    (D("2025-03-30 09:00"), "A", "inbound"),
    (D("2025-01-10 12:00"), "B", "inbound"),
]
# By hand, up to 17 Mar: A margin (40 + 30) / 200, returns 25 / 250, 2 inbound contacts since the
# first purchase over 3 purchase days; B has no cost: the population's (70 + 0) / (200 + 30), no
# returns, 1 contact over 2 days; C margin 0 / 30, returns 30 / 30, no contacts.
EXPECTED = {
    "A": (0.35, "customer", 0.1, 2 / 3),
    "B": (70 / 230, "population", 0.0, 1 / 2),
    "C": (0.0, "customer", 1.0, 0.0),
}
COST_PER_CONTACT = 7.5


@pytest.fixture
def warehouse(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    con.execute("create schema core")
    frames = {
        "fct_order_lines": pd.DataFrame(
            ORDER_LINES, columns=["transaction_at", "customer_key", "amount", "cost"]
        ),
        "fct_returns": pd.DataFrame(RETURNS, columns=["returned_at", "customer_key", "refund_amount"]),
        "fct_interactions": pd.DataFrame(INTERACTIONS, columns=["started_at", "customer_key", "direction"]),
    }
    for name, frame in frames.items():
        con.register(f"_{name}", frame)
    con.execute(
        "create table core.fct_order_lines as select transaction_at::timestamp as transaction_at,"
        " customer_key::varchar as customer_key, amount::decimal(12, 2) as amount,"
        " cost::decimal(12, 2) as cost_amount, (amount - cost)::decimal(12, 2) as margin"
        " from _fct_order_lines"
    )
    con.execute(
        "create table core.fct_returns as select returned_at::timestamp as returned_at,"
        " customer_key::varchar as customer_key, refund_amount::decimal(12, 2) as refund_amount"
        " from _fct_returns"
    )
    con.execute(
        "create table core.fct_interactions as select started_at::timestamp as started_at,"
        " customer_key::varchar as customer_key, direction::varchar as direction from _fct_interactions"
    )
    return con


def test_net_profit_by_hand(warehouse: duckdb.DuckDBPyConnection) -> None:
    summary = build_clv(
        warehouse, KpiSettings(clv_holdout_days=14, cost_per_service_contact=COST_PER_CONTACT)
    )
    assert str(summary.calibration_end) == "2025-03-17"
    rows = warehouse.execute(
        "select customer_key, clv, expected_spend, discounted_transactions, margin_rate, margin_rate_source,"
        " return_rate, service_contacts_per_transaction, clv_net_profit from marts.customer_clv order by 1"
    ).fetchall()
    assert [row[0] for row in rows] == ["A", "B", "C"]
    for key, clv, spend, discounted, margin, source, returns, contacts, profit in rows:
        want_margin, want_source, want_returns, want_contacts = EXPECTED[key]
        assert (margin, source, returns, contacts) == pytest.approx(
            (want_margin, want_source, want_returns, want_contacts), abs=1e-12
        ), key
        want_discounted = clv / spend if spend > 0 else 0.0
        assert discounted == pytest.approx(want_discounted, rel=1e-12)
        want = clv * (1 - want_returns) * want_margin - COST_PER_CONTACT * want_contacts * want_discounted
        assert profit == pytest.approx(want, rel=1e-9, abs=1e-9), key
    assert any(row[1] > 0 and row[8] != pytest.approx(row[1]) for row in rows)
    assert summary.total_clv_net_profit == pytest.approx(sum(row[8] for row in rows))


def test_default_margin_without_costs_returns_or_contacts(con: duckdb.DuckDBPyConnection) -> None:
    _load(con, pd.DataFrame(LINES, columns=["transaction_at", "customer_key", "amount"]))
    build_clv(con, KpiSettings(clv_holdout_days=14, clv_default_margin_rate=0.3))
    rows = con.execute(
        "select clv, margin_rate, margin_rate_source, return_rate, clv_net_profit from marts.customer_clv"
    ).fetchall()
    assert rows
    for clv, margin, source, returns, profit in rows:
        assert (margin, source, returns) == (0.3, "default", 0.0)
        assert profit == pytest.approx(0.3 * clv)


def test_every_customer_clv_column_is_documented(warehouse: duckdb.DuckDBPyConnection) -> None:
    build_clv(warehouse, KpiSettings(clv_holdout_days=14))
    columns = [r[0] for r in warehouse.execute("describe marts.customer_clv").fetchall()]
    assert columns == _documented("customer_clv")
