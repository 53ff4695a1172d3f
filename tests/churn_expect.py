"""customer_churn's rule recomputed in Python from core.* (status, risk reason, next action per customer)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import duckdb

from pipelines.kpi.settings import KpiSettings

EXPERIENCES = """
    select customer_key, returned_at::date from core.fct_returns where returned_at is not null
    union all
    select customer_key, delivered_at::date from core.fct_order_lines
    where on_time = false and delivered_at is not null"""


def _experiences(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, list[date]], dict[str, list[date]]]:
    """Days of each customer's complaints, and of bad experiences (low CSAT/NPS, returns, late
    deliveries), as customer_churn's rule reads them (_retention__models.yml)."""
    complaints: dict[str, list[date]] = defaultdict(list)
    bad: dict[str, list[date]] = defaultdict(list)
    contacts = "select customer_key, started_at::date, queue, reason, csat, nps from core.fct_interactions"
    for key, day, queue, reason, csat, nps in con.execute(contacts).fetchall():
        if queue == "complaints" or "complaint" in (reason or "").lower():
            complaints[key].append(day)
        if (csat is not None and csat <= 2) or (nps is not None and nps <= 3):
            bad[key].append(day)
    for key, day in con.execute(EXPERIENCES).fetchall():
        bad[key].append(day)
    return complaints, bad


def expected_churn(
    con: duckdb.DuckDBPyConnection, kpi: KpiSettings | None = None
) -> dict[str, tuple[str, str | None, str]]:
    """(status active / at_risk / churned, churn_risk_reason, next_action) per customer with a sale
    on or before the as-of day (the last sale day in core), by the rule of customer_churn.sql."""
    kpi = kpi or KpiSettings()
    as_of = con.execute("select max(transaction_at)::date from core.fct_order_lines").fetchone()[0]
    purchase_days: dict[str, set[date]] = defaultdict(set)
    for key, day in con.execute(
        "select customer_key, transaction_at::date from core.fct_order_lines where customer_key is not null"
    ).fetchall():
        if day <= as_of:
            purchase_days[key].add(day)
    complaints, bad = _experiences(con)
    out = {}
    for key, day_set in purchase_days.items():
        days = sorted(day_set)
        since, start = (as_of - days[-1]).days, days[-1] - timedelta(days=kpi.churn_risk_experience_days)
        churned = since >= kpi.churn_days
        gap = (days[-1] - days[0]).days / (len(days) - 1) if len(days) > 1 else None
        falling = since >= kpi.lapsed_days if gap is None else since > kpi.churn_risk_gap_factor * gap
        complaint = any(start <= d <= as_of for d in complaints[key])
        bad_experience = any(start <= d <= as_of for d in bad[key])
        at_risk = not churned and (falling or complaint or bad_experience)
        reason = (
            "complaint" if complaint else "bad_experience" if bad_experience
            else "falling_frequency" if churned or at_risk else None
        )  # fmt: skip
        action = (
            "no_action" if reason is None
            else "service_recovery_call" if reason != "falling_frequency"
            else "win_back_offer" if churned else "retention_offer"
        )  # fmt: skip
        out[key] = ("churned" if churned else "at_risk" if at_risk else "active", reason, action)
    return out
