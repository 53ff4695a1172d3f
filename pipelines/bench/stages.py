"""Benchmark stages: which Dagster step belongs to which stage, and stage times from step intervals."""

from __future__ import annotations

from dataclasses import dataclass

from sources.feeds import FEEDS

# Order of the table; "other" catches a step added later that no rule names, so its time is never lost.
STAGES = ("ingestion", "identity", "dbt", "quality", "kpi", "dashboard", "serving", "spark", "other")
STAGE_LABELS = {
    "ingestion": "ingestion (raw loads)",
    "identity": "identity resolution",
    "dbt": "dbt build (staging, core)",
    "quality": "quality gates",
    "kpi": "KPI marts + CLV fit",
    "dashboard": "dashboard",
    "serving": "serving copy (publish)",
    "spark": "Spark build (CRM360_ENGINE=spark)",
    "other": "other steps",
}

_EXACT = {
    "core__customer_identity_map": "identity",
    "dbt_staging": "dbt",
    "dbt_warehouse": "dbt",
    # dbt_marts counts as KPI marts, not dbt: it builds only marts (customer_360 and the KPI
    # tables, with their dbt tests) and runs after the quality gate, beside the CLV and forecast fits.
    "dbt_marts": "kpi",
    "clv_models": "kpi",
    "sales_forecast_models": "kpi",
    "marts__kpi_campaign_lift": "kpi",
    "reports__kpi_dashboard": "dashboard",
    "serving__crm360": "serving",
    "spark__warehouse": "spark",
    "core__quality_gate": "quality",
    "raw_source_freshness": "quality",
    "marts__customer_clv_clv_finite_for_repeat_customers": "quality",
}
# Asset-check steps, by the suffixes and prefix that pipelines/checks gives their step keys.
_CHECK_SUFFIXES = ("_gx_batches", "_reconcile_loads", "_pandera")
_CHECK_PREFIXES = ("reconcile_",)


def stage_of(step_key: str) -> str:
    """The stage of one Dagster step key; 'other' when no rule knows it."""
    if step_key in _EXACT:
        return _EXACT[step_key]
    if step_key.startswith("raw__") and step_key.removeprefix("raw__") in FEEDS:
        return "ingestion"
    if step_key.endswith(_CHECK_SUFFIXES) or step_key.startswith(_CHECK_PREFIXES):
        return "quality"
    return "other"


@dataclass(frozen=True)
class StepTime:
    step_key: str
    start: float  # epoch seconds, from the Dagster event log
    end: float
    status: str  # success | failure | skipped

    @property
    def seconds(self) -> float:
        return max(self.end - self.start, 0.0)


def stage_seconds(steps: list[StepTime]) -> dict[str, float]:
    """Seconds per stage: the sum of its steps (the in-process executor runs one step at a time)."""
    totals = dict.fromkeys(STAGES, 0.0)
    for step in steps:
        totals[stage_of(step.step_key)] += step.seconds
    return totals


def stage_intervals(steps: list[StepTime]) -> dict[str, list[tuple[float, float]]]:
    """(start, end) of every step per stage, to find the peak memory while a stage ran."""
    out: dict[str, list[tuple[float, float]]] = {s: [] for s in STAGES}
    for step in steps:
        out[stage_of(step.step_key)].append((step.start, step.end))
    return out
