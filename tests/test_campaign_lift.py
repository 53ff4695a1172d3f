"""marts.kpi_campaign_lift from hand-made kpi_campaign_performance rows: flags, revenue, ROI, columns."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
import yaml
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from pipelines.kpi.campaign_lift import build_campaign_lift
from pipelines.kpi.settings import KpiSettings

PYTHON_SOURCES = (
    Path(__file__).resolve().parent.parent / "dbt_project/models/marts/_marts__python_sources.yml"
)
# (id, treatment customers, control, treatment responders, control responders, treatment converters,
#  control converters, treatment revenue, control revenue, cost)
CAMPAIGNS = [
    ("BIG", 2000, 400, 100, 4, 300, 40, 30000.0, 4000.0, 5000.0),  # conclusive, response significant
    ("TINY", 40, 5, 2, 0, 6, 1, 600.0, 80.0, None),  # control_too_small; no cost, no ROI
    ("FEW", 2000, 150, 10, 0, 200, 15, 20000.0, 1500.0, 100.0),  # big enough, too few expected responders
    ("SMALL", 1000, 80, 200, 2, 300, 20, 9000.0, 700.0, 300.0),  # 80 < 100: too small, however clear
]
SETTINGS = KpiSettings(campaign_min_control_customers=100, campaign_min_expected_responders=5.0)


@pytest.fixture
def lift(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    con.execute("create schema marts")
    con.execute(
        """create table marts.kpi_campaign_performance (campaign_id varchar, campaign_name varchar,
        campaign_channel varchar, launched_at timestamp, conversion_window_closed boolean,
        treatment_customers integer, control_customers integer, treatment_responders integer,
        control_responders integer, treatment_converters integer, control_converters integer,
        treatment_revenue decimal(14, 2), control_revenue decimal(14, 2), campaign_cost decimal(12, 2))"""
    )
    con.executemany(
        "insert into marts.kpi_campaign_performance values (?, 'n', 'email', '2025-03-01', true,"
        " ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        CAMPAIGNS,
    )
    summary = build_campaign_lift(con, SETTINGS)
    assert summary["campaigns"] == 4
    cursor = con.execute("select * from marts.kpi_campaign_lift")
    names = [d[0] for d in cursor.description]
    return {r[0]: dict(zip(names, r, strict=True)) for r in cursor.fetchall()}


def test_flags(lift: dict[str, dict]) -> None:
    big, tiny, few = lift["BIG"], lift["TINY"], lift["FEW"]
    assert (big["control_too_small"], big["response_conclusive"], big["response_significant"]) == (
        False,
        True,
        True,
    )
    assert tiny["control_too_small"] and not tiny["response_conclusive"] and not tiny["conversion_conclusive"]
    # FEW: pooled response rate 10 / 2150, expected control responders 150 x that = 0.70 < 5
    assert not few["control_too_small"] and not few["response_conclusive"] and not few["response_significant"]
    assert few["response_min_expected"] == pytest.approx(150 * 10 / 2150)
    assert few["conversion_conclusive"]
    small = lift["SMALL"]  # expected counts are fine (>= 80 x 202 / 1080 = 15), the size rule decides
    assert small["control_too_small"] and small["response_min_expected"] > 5
    assert not small["response_conclusive"] and not small["response_significant"]
    assert small["response_p_value"] < 0.001  # reported all the same
    assert few["response_lift"] is None  # control rate 0
    assert big["response_lift"] == pytest.approx((100 / 2000) / (4 / 400))


def test_intervals_and_p_values(lift: dict[str, dict]) -> None:
    big = lift["BIG"]
    low, high = confint_proportions_2indep(300, 2000, 40, 400, method="newcomb", compare="diff")
    assert (big["conversion_difference_lower"], big["conversion_difference_upper"]) == pytest.approx(
        (low, high)
    )
    assert big["conversion_p_value"] == pytest.approx(proportions_ztest([300, 40], [2000, 400])[1])
    assert big["confidence"] == 0.95


def test_incremental_revenue_and_roi(lift: dict[str, dict]) -> None:
    big = lift["BIG"]
    incremental = (30000 / 2000 - 4000 / 400) * 2000  # 10,000
    assert big["incremental_revenue"] == pytest.approx(incremental)
    assert big["roi"] == pytest.approx((incremental - 5000) / 5000)
    assert lift["TINY"]["roi"] is None and lift["TINY"]["incremental_revenue"] == pytest.approx(
        (15 - 16) * 40
    )


def _documented(table: str) -> list[str]:
    doc = yaml.safe_load(PYTHON_SOURCES.read_text())
    tables = {t["name"]: t for s in doc["sources"] for t in s["tables"]}
    return [c["name"] for c in tables[table]["columns"]]


def test_every_column_is_documented(con: duckdb.DuckDBPyConnection, lift: dict[str, dict]) -> None:
    assert list(lift["BIG"]) == _documented("kpi_campaign_lift")
