"""Helpers shared by the asset checks: CheckResults as Dagster results and markdown."""

from __future__ import annotations

import json

import dagster as dg

from quality.results import ERROR, CheckResult, sample_json

MAX_TABLE_ROWS = 20  # a year of failing batches would make an unreadable table in the UI


def results_table(results: list[CheckResult]) -> str:
    if not results:
        return "none"
    lines = ["| check | asset | severity | failing rows |", "|---|---|---|---|"]
    lines += [
        f"| {r.check_name} | {r.asset} | {r.severity} | {r.failing_rows} |" for r in results[:MAX_TABLE_ROWS]
    ]
    if len(results) > MAX_TABLE_ROWS:
        lines.append(f"| ... {len(results) - MAX_TABLE_ROWS} more in audit.check_results | | | |")
    return "\n".join(lines)


def to_asset_check_result(
    result: CheckResult, asset_key: dg.AssetKey | None = None, check_name: str | None = None
) -> dg.AssetCheckResult:
    """Key and name may stay None in a single @asset_check; a multi_asset_check must name both."""
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=check_name,
        passed=result.passed,
        severity=dg.AssetCheckSeverity.ERROR if result.severity == ERROR else dg.AssetCheckSeverity.WARN,
        metadata={
            "failing_rows": dg.MetadataValue.int(result.failing_rows)
            if result.failing_rows is not None
            else dg.MetadataValue.text("unknown"),
            "sample": dg.MetadataValue.json(json.loads(sample_json(result.sample) or "{}")),
        },
    )
