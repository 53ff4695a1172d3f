"""The benchmark's stage map: which Dagster step counts towards which stage of the table."""

from __future__ import annotations

from pipelines.bench.stages import STAGES, StepTime, stage_of, stage_seconds


def test_stage_of_maps_each_kind_of_step() -> None:
    expected = {
        "raw__pos": "ingestion",
        "raw__campaign_audience": "ingestion",
        "raw__pos_gx_batches": "quality",
        "raw__web_reconcile_loads": "quality",
        "reconcile_core_fct_order_lines": "quality",
        "core__fct_returns_pandera": "quality",
        "raw_source_freshness": "quality",
        "core__quality_gate": "quality",
        "marts__customer_clv_clv_finite_for_repeat_customers": "quality",
        "core__customer_identity_map": "identity",
        "dbt_staging": "dbt",
        "dbt_warehouse": "dbt",
        "dbt_marts": "kpi",
        "clv_models": "kpi",
        "sales_forecast_models": "kpi",
        "marts__kpi_campaign_lift": "kpi",
        "reports__kpi_dashboard": "dashboard",
        "raw__not_a_feed": "other",
    }
    assert {key: stage_of(key) for key in expected} == expected


def test_stage_seconds_sums_steps_per_stage() -> None:
    steps = [
        StepTime("raw__pos", 100.0, 102.5, "success"),
        StepTime("raw__web", 102.5, 103.0, "success"),
        StepTime("dbt_staging", 103.0, 110.0, "success"),
        StepTime("raw__pos_gx_batches", 110.0, 111.25, "failure"),
    ]
    seconds = stage_seconds(steps)
    assert seconds == {**dict.fromkeys(STAGES, 0.0), "ingestion": 3.0, "dbt": 7.0, "quality": 1.25}
