"""Issue 23 on a real build: clv_net_profit and kpi_campaign_lift recomputed from the core tables."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from pipelines.kpi.campaign_lift import build_campaign_lift
from pipelines.kpi.settings import KpiSettings
from tests.dbt_core_fixtures import Built, build_simulated

pytestmark = pytest.mark.integration

# Four months from 1 January: four outbound campaigns, three with a closed conversion window.
SIMULATION = {"customers": 400, "days": 120, "seed": 3}
SETTINGS = KpiSettings()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    """The `built` pipeline on a longer simulation, then the campaign lift asset's function."""
    builder = build_simulated(tmp_path_factory.mktemp("value_marts"), SIMULATION)
    built: Built = next(builder)
    path = Path(built.con.execute("select path from duckdb_databases() where not internal").fetchone()[0])
    built.con.close()
    with duckdb.connect(str(path)) as con:
        build_campaign_lift(con, SETTINGS)
    con = duckdb.connect(str(path), read_only=True)
    yield con
    con.close()


def _one(con: duckdb.DuckDBPyConnection, sql: str, params: list) -> float:
    return float(con.execute(sql, params).fetchone()[0] or 0.0)


def _expected_net_profit(con: duckdb.DuckDBPyConnection, key: str, row: dict) -> tuple[float, ...]:
    """The customer's rates and net profit, one plain query per input."""
    end = row["calibration_end"] + timedelta(days=1)
    lines = "from core.fct_order_lines where customer_key = ? and transaction_at < ?"
    sales = _one(con, f"select sum(amount) {lines}", [key, end])
    costed = _one(con, f"select sum(amount) {lines} and cost_amount is not null", [key, end])
    margin = _one(con, f"select sum(margin) {lines} and cost_amount is not null", [key, end])
    everyone = "from core.fct_order_lines where customer_key is not null and cost_amount is not null"
    population = _one(con, f"select sum(margin) / sum(amount) {everyone} and transaction_at < ?", [end])
    margin_rate = margin / costed if costed > 0 else population
    refunds = _one(
        con,
        "select sum(refund_amount) from core.fct_returns where customer_key = ? and returned_at < ?",
        [key, end],
    )
    return_rate = min(1.0, refunds / sales)
    contacts = _one(
        con,
        "select count(*) from core.fct_interactions where customer_key = ? and direction = 'inbound'"
        " and started_at >= ? and started_at < ?",
        [key, row["first_purchase_date"], end],
    ) / (row["frequency"] + 1)
    discounted = row["clv"] / row["expected_spend"]
    profit = (
        row["clv"] * (1 - return_rate) * margin_rate
        - SETTINGS.cost_per_service_contact * contacts * discounted
    )
    return margin_rate, return_rate, contacts, profit


def test_clv_net_profit_recomputed_from_core(warehouse: duckdb.DuckDBPyConnection) -> None:
    cursor = warehouse.execute("select * from marts.customer_clv")
    names = [d[0] for d in cursor.description]
    rows = {r[0]: dict(zip(names, r, strict=True)) for r in cursor.fetchall()}
    assert len(rows) > 30  # 62 customers bought in the 29-day calibration window
    assert all(row["clv_net_profit"] is not None for row in rows.values())
    # the customers with the most returns, the most contacts, and three more
    by = lambda column: sorted(rows, key=lambda k: (-(rows[k][column] or 0), k))[:3]  # noqa: E731
    chosen = sorted({*by("return_rate"), *by("service_contacts_per_transaction"), *sorted(rows)[:3]})
    assert any(rows[k]["return_rate"] > 0 for k in chosen)
    assert any(rows[k]["service_contacts_per_transaction"] > 0 for k in chosen)
    for key in chosen:
        row = rows[key]
        got = (
            row["margin_rate"],
            row["return_rate"],
            row["service_contacts_per_transaction"],
            row["clv_net_profit"],
        )
        assert got == pytest.approx(_expected_net_profit(warehouse, key, row), rel=1e-9, abs=1e-9), key


def _cells(con: duckdb.DuckDBPyConnection, campaign: str) -> dict[str, dict[str, float]]:
    """Per cell: customers, responders, converters and window revenue, from the core tables."""
    launched = con.execute(
        "select launched_at from core.dim_campaign where campaign_id = ?", [campaign]
    ).fetchone()[0]
    members: dict[str, bool] = {}
    for customer, treated in con.execute(
        "select a.customer_key, a.is_treatment from core.fct_campaign_audience a"
        " join core.dim_campaign c using (campaign_key)"
        " where c.campaign_id = ? and a.customer_key is not null",
        [campaign],
    ).fetchall():
        members[customer] = members.get(customer, False) or treated
    responders = {
        r[0]
        for r in con.execute(
            "select r.customer_key from core.fct_campaign_responses r"
            " join core.dim_campaign c using (campaign_key) where c.campaign_id = ?",
            [campaign],
        ).fetchall()
    }
    window_end = launched + timedelta(days=SETTINGS.conversion_window_days)
    revenue = dict(
        con.execute(
            "select customer_key, sum(amount)::double from core.fct_order_lines where transaction_at > ?"
            " and transaction_at <= ? and customer_key is not null group by 1",
            [launched, window_end],
        ).fetchall()
    )
    cells = {}
    for name, treated in (("treatment", True), ("control", False)):
        cell = [m for m, t in members.items() if t == treated]
        cells[name] = {
            "n": len(cell),
            "responders": sum(m in responders for m in cell),
            "converters": sum(m in revenue for m in cell),
            "revenue": sum(revenue.get(m, 0.0) for m in cell),
        }
    return cells


def test_campaign_lift_recomputed_from_core(warehouse: duckdb.DuckDBPyConnection) -> None:
    cursor = warehouse.execute("select * from marts.kpi_campaign_lift order by launched_at")
    names = [d[0] for d in cursor.description]
    rows = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    assert len(rows) >= 3
    assert all(row["campaign_cost"] and row["roi"] is not None for row in rows)
    for row in rows:
        cells = _cells(warehouse, row["campaign_id"])
        t, c = cells["treatment"], cells["control"]
        assert (row["treatment_customers"], row["control_customers"]) == (t["n"], c["n"])
        assert row["control_too_small"] == (c["n"] < SETTINGS.campaign_min_control_customers)
        for outcome, count in (("response", "responders"), ("conversion", "converters")):
            k1, k2 = t[count], c[count]
            assert row[f"{outcome}_treatment_rate"] == pytest.approx(k1 / t["n"])
            assert row[f"{outcome}_control_rate"] == pytest.approx(k2 / c["n"])
            low, high = confint_proportions_2indep(k1, t["n"], k2, c["n"], method="newcomb", compare="diff")
            assert (row[f"{outcome}_difference_lower"], row[f"{outcome}_difference_upper"]) == pytest.approx(
                (low, high), abs=1e-9
            )
            if k1 + k2 > 0:
                assert row[f"{outcome}_p_value"] == pytest.approx(
                    proportions_ztest([k1, k2], [t["n"], c["n"]])[1]
                )
            fisher = stats.fisher_exact([[k1, t["n"] - k1], [k2, c["n"] - k2]]).pvalue
            assert row[f"{outcome}_p_value_fisher"] == pytest.approx(fisher)
            assert not row[f"{outcome}_significant"] or row[f"{outcome}_conclusive"]
        incremental = (t["revenue"] / t["n"] - c["revenue"] / c["n"]) * t["n"]
        assert row["incremental_revenue"] == pytest.approx(incremental, abs=0.01)
        assert row["roi"] == pytest.approx(
            (incremental - row["campaign_cost"]) / row["campaign_cost"], abs=1e-4
        )
