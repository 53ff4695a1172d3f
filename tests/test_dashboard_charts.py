"""The dashboard's CRM charts (issue 23) on the hand-made marts: rows, the top pairs, churn status."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from playwright.sync_api import Browser

from tests.dashboard_fixtures import (
    build_dashboard_warehouse,
    chart_frames,
    launch_browser,
    open_dashboard,
    render,
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    yield from launch_browser()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_dashboard_warehouse(tmp_path_factory.mktemp("dash") / "wh.duckdb")


def test_new_charts_rows_are_the_marts_rows(warehouse: Path) -> None:
    data = chart_frames(warehouse)
    acquired = data["acquisition"]  # summed over campaigns; a missing channel reads 'unknown'
    assert acquired[["channel", "new_customers", "is_warm_up"]].values.tolist() == [
        ["store", 5, True], ["web", 3, True], ["store", 3, False], ["unknown", 1, False]
    ]  # fmt: skip
    assert data["churn"]["churned"].tolist() == [0, 1, 3]
    # the mart's is_churned / is_at_risk decide, not the days since the last order: K5 (30 days,
    # bad experience) is at risk, K6 (89 days) active; split by churn_risk_reason
    status = data["churn_status"]
    assert status[["status", "reason", "customers"]].fillna("-").values.tolist() == [
        ["active", "-", 2],
        ["at_risk", "bad_experience", 1], ["at_risk", "complaint", 1], ["at_risk", "falling_frequency", 1],
        ["churned", "complaint", 1], ["churned", "falling_frequency", 1],
    ]  # fmt: skip
    assert [list(a) for a in status["next_actions"]] == [
        ["no_action"], ["service_recovery_call"], ["service_recovery_call"], ["retention_offer"],
        ["service_recovery_call"], ["win_back_offer"],
    ]  # fmt: skip
    assert [list(n) for n in status["next_action_customers"]] == [[2], [1], [1], [1], [1], [1]]
    assert data["loyalty"]["loyalty_status"].tolist() == ["member", "non_member"]
    nps = data["satisfaction"].query("channel == 'all'")
    assert nps["nps"].tolist() == [25.0, -50.0] and nps["avg_csat"].tolist() == [4.0, 3.5]
    opt_in = data["opt_in"]
    assert opt_in["channel"].tolist() == ["email", "sms", "phone", "mail"]
    assert opt_in["opted_in_unreachable"].tolist() == [5, 5, 0, 0]
    assert opt_in["not_asked"].tolist() == [20, 40, 50, 80]
    pairs = data["product_pairs"]  # lift above 1 only (every fourth pair is 0.8), most baskets first
    assert pairs["sku_a"].tolist() == [f"SKU-{i:02d}" for i in (1, 2, 3, 5, 6, 7, 9, 10, 11)]
    assert pairs.iloc[0][["name_a", "name_b"]].tolist() == ["Duvet Basic", "Pillow Basic"]
    assert pairs.iloc[1][["name_a", "name_b"]].tolist() == ["SKU-02", "SKU-52"]


def test_only_the_ten_most_frequent_pairs_are_shown(warehouse: Path, tmp_path: Path) -> None:
    more = "INSERT INTO marts.kpi_product_pairs VALUES ('SKU-90', 'SKU-91', 100, 0.1, 0.5, 0.5, 3.0), " \
           "('SKU-92', 'SKU-93', 2, 0.002, 0.5, 0.5, 9.0)"  # fmt: skip
    copy = tmp_path / "wh.duckdb"
    copy.write_bytes(warehouse.read_bytes())
    with duckdb.connect(str(copy)) as con:
        con.execute(more)
    pairs = chart_frames(copy)["product_pairs"]
    assert len(pairs) == 10 and pairs["sku_a"].iloc[0] == "SKU-90" and "SKU-92" not in set(pairs["sku_a"])


def test_churn_status_is_stacked_by_reason_with_readable_labels(
    warehouse: Path, tmp_path: Path, browser: Browser
) -> None:
    """Statuses and reasons read as labels.py says; the next actions of each bar in its hover."""
    result = render(
        warehouse,
        tmp_path / "reports",
        "UPDATE marts.customer_churn SET is_at_risk = true, churn_risk_reason = 'complaint', "
        "next_action = 'service_recovery_call' WHERE customer_key = 'K1'",
        "UPDATE marts.customer_churn SET churn_risk_reason = 'new_reason' WHERE customer_key = 'K2'",
    )
    page = result.path.read_text(encoding="utf-8")
    for text in ("At risk (see reason)", "Churned (see reason)", "Active (no risk sign)"):
        assert f'"{text}"' in page
    for name in ("Complaint", "Bad experience", "Buying less often", "No risk sign", "New reason"):
        assert f'"name":"{name}"' in page
    assert "service recovery call 2" in page and "win-back offer 1" in page
    report = open_dashboard(browser, result.path)
    status = next(c for c in report.charts if c["name"] == "churn_status")
    # active 1 (no reason); at risk: complaint 2, bad experience 1, new reason 1; churned: 2 reasons
    assert (status["traces"], status["points"]) == (5, 6)
    assert report.undrawn() == [] and report.console_errors == [] and report.page_errors == []
