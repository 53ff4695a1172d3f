"""The Spark build's pandera results as Dagster asset checks of spark/warehouse, one per stage."""

from __future__ import annotations

from typing import Any

import dagster as dg

from pipelines.defs.checks.pandera import summarize
from quality.results import CheckResult

# core: the quality gate before Spark's marts; marts: the rules on Spark's marts.customer_360
STAGE_CHECKS = {"core": "spark_quality_gate", "marts": "spark_marts_checks"}
_FIELDS = ("check_name", "asset", "severity", "passed", "failing_rows", "sample")


def spark_check_specs(key: dg.AssetKey) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(name, asset=key, description=f"The pandera rules of Spark's {stage} tables.")
        for stage, name in STAGE_CHECKS.items()
    ]


def spark_check_results(checks: list[dict[str, Any]]) -> list[dg.AssetCheckResult]:
    """One result per stage that ran (pipelines/spark/leg.py keeps each result's stage)."""
    results = []
    for stage, name in STAGE_CHECKS.items():
        ran = [CheckResult(**{f: c[f] for f in _FIELDS}) for c in checks if c["stage"] == stage]
        if ran:
            results.append(summarize(f"Spark's {stage} stage", ran, check_name=name))
    return results
