"""Campaign lift with uncertainty: marts.kpi_campaign_performance's cell counts -> marts.kpi_campaign_lift.

One row per outbound campaign. For responses and conversions: the rates of both cells, their
difference with a Newcombe interval, the lift, the pooled z-test and Fisher's exact p-values
(pipelines/kpi/campaign_stats.py), and whether the control cell can support a conclusion:
control_too_small when it holds fewer than campaign_min_control_customers customers; an outcome is
conclusive when the control is not too small and every expected count of the 2x2 table under the
pooled rate is at least campaign_min_expected_responders; significant = conclusive and p < alpha.
Incremental revenue = (treatment revenue per customer - control revenue per customer) x
treatment customers, within the conversion window; roi = (incremental revenue - campaign_cost) /
campaign_cost where the cost is known (a revenue ROI: before the cost of goods).
The inputs are a few numbers per campaign; only they are read into Python, from DuckDB or from Spark
(pipelines/spark/kpi_marts.py).
"""

from __future__ import annotations

from typing import Any

import duckdb

from pipelines.kpi.campaign_stats import compare
from pipelines.kpi.settings import KpiSettings

INPUT_SQL = """
    select
        campaign_id, campaign_name, campaign_channel, launched_at, conversion_window_closed,
        treatment_customers, control_customers, treatment_responders, control_responders,
        treatment_converters, control_converters,
        cast(treatment_revenue as double) as treatment_revenue,
        cast(control_revenue as double) as control_revenue,
        cast(campaign_cost as double) as campaign_cost
    from marts.kpi_campaign_performance
    order by launched_at, campaign_id
"""

OUTCOMES = ("response", "conversion")
_OUTCOME_COLUMNS = [
    ("treatment_rate", "DOUBLE"),
    ("control_rate", "DOUBLE"),
    ("difference", "DOUBLE"),
    ("difference_lower", "DOUBLE"),
    ("difference_upper", "DOUBLE"),
    ("lift", "DOUBLE"),
    ("z", "DOUBLE"),
    ("p_value", "DOUBLE"),
    ("p_value_fisher", "DOUBLE"),
    ("min_expected", "DOUBLE"),
    ("conclusive", "BOOLEAN"),
    ("significant", "BOOLEAN"),
]
COLUMNS = [
    ("campaign_id", "VARCHAR"),
    ("campaign_name", "VARCHAR"),
    ("campaign_channel", "VARCHAR"),
    ("launched_at", "TIMESTAMP"),
    ("conversion_window_closed", "BOOLEAN"),
    ("treatment_customers", "INTEGER"),
    ("control_customers", "INTEGER"),
    ("treatment_responders", "INTEGER"),
    ("control_responders", "INTEGER"),
    ("treatment_converters", "INTEGER"),
    ("control_converters", "INTEGER"),
    ("control_too_small", "BOOLEAN"),
    *[(f"{outcome}_{name}", kind) for outcome in OUTCOMES for name, kind in _OUTCOME_COLUMNS],
    ("treatment_revenue_per_customer", "DOUBLE"),
    ("control_revenue_per_customer", "DOUBLE"),
    ("incremental_revenue", "DOUBLE"),
    ("campaign_cost", "DOUBLE"),
    ("roi", "DOUBLE"),
    ("confidence", "DOUBLE"),
]
DDL = "(" + ", ".join(f"{name} {kind}" for name, kind in COLUMNS) + ")"


def _per_customer(revenue: float, customers: int) -> float | None:
    return revenue / customers if customers > 0 else None


def lift_row(campaign: dict[str, Any], settings: KpiSettings) -> dict[str, Any]:
    """The kpi_campaign_lift row of one kpi_campaign_performance row."""
    n1, n2 = campaign["treatment_customers"], campaign["control_customers"]
    alpha = 1.0 - settings.campaign_confidence
    row = {name: campaign.get(name) for name, _ in COLUMNS[:11]}
    row["control_too_small"] = n2 < settings.campaign_min_control_customers
    for outcome, counts in (("response", "responders"), ("conversion", "converters")):
        k1, k2 = campaign[f"treatment_{counts}"], campaign[f"control_{counts}"]
        result = compare(k1, n1, k2, n2, settings.campaign_confidence)
        for name, _ in _OUTCOME_COLUMNS[:-2]:
            row[f"{outcome}_{name}"] = getattr(result, name)
        conclusive = (
            not row["control_too_small"] and result.min_expected >= settings.campaign_min_expected_responders
        )
        row[f"{outcome}_conclusive"] = conclusive
        row[f"{outcome}_significant"] = conclusive and result.p_value is not None and result.p_value < alpha
    per_treated = _per_customer(campaign["treatment_revenue"] or 0.0, n1)
    per_control = _per_customer(campaign["control_revenue"] or 0.0, n2)
    incremental = None if per_treated is None or per_control is None else (per_treated - per_control) * n1
    cost = campaign["campaign_cost"]
    row |= {
        "treatment_revenue_per_customer": per_treated,
        "control_revenue_per_customer": per_control,
        "incremental_revenue": incremental,
        "campaign_cost": cost,
        "roi": (incremental - cost) / cost if incremental is not None and cost else None,
        "confidence": settings.campaign_confidence,
    }
    return row


def lift_rows(campaigns: list[dict[str, Any]], settings: KpiSettings) -> list[dict[str, Any]]:
    """The kpi_campaign_lift rows of INPUT_SQL's rows, on whichever engine ran it."""
    return [lift_row(campaign, settings) for campaign in campaigns]


def lift_summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts for the materialization metadata."""
    return {
        "campaigns": len(rows),
        "control_too_small": sum(row["control_too_small"] for row in rows),
        "response_conclusive": sum(row["response_conclusive"] for row in rows),
        "response_significant": sum(row["response_significant"] for row in rows),
        "conversion_significant": sum(row["conversion_significant"] for row in rows),
        "with_roi": sum(row["roi"] is not None for row in rows),
    }


def build_campaign_lift(con: duckdb.DuckDBPyConnection, settings: KpiSettings) -> dict[str, Any]:
    """Replace marts.kpi_campaign_lift; returns a summary for the materialization metadata."""
    cursor = con.execute(INPUT_SQL)
    names = [d[0] for d in cursor.description]
    rows = lift_rows([dict(zip(names, values, strict=True)) for values in cursor.fetchall()], settings)
    con.begin()
    try:
        con.execute(f"create or replace table marts.kpi_campaign_lift {DDL}")
        if rows:
            placeholders = ", ".join("?" for _ in COLUMNS)
            con.executemany(
                f"insert into marts.kpi_campaign_lift values ({placeholders})",
                [[row[name] for name, _ in COLUMNS] for row in rows],
            )
        con.commit()
    except Exception:
        con.rollback()
        raise
    return lift_summary(rows)
