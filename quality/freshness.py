"""dbt source freshness as check results: which raw feeds dbt checks, and its sources.json verdicts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from quality.results import ERROR, WARN, CheckResult

CHECK_PREFIX = "dbt:source_freshness"


def freshness_sources(manifest: Mapping[str, Any], source_name: str = "raw") -> list[str]:
    """Tables of `source_name` with a freshness rule (error_after or warn_after set), e.g. ['pos', 'web']."""
    names = []
    for props in manifest["sources"].values():
        rule = props.get("freshness") or {}
        limits = [(rule.get(k) or {}).get("count") for k in ("warn_after", "error_after")]
        if props["source_name"] == source_name and any(limits):
            names.append(props["name"])
    return sorted(names)


def freshness_results(sources_json: Mapping[str, Any]) -> list[CheckResult]:
    """One CheckResult per source in dbt's sources.json (dbt source freshness output).

    dbt's verdicts: pass, warn (older than warn_after), error (older than error_after) and
    "runtime error" (the query failed, e.g. an empty or missing table: no data is no freshness).
    Severity is error for error and runtime error, warn for warn.
    """
    results = []
    for entry in sources_json.get("results", []):
        # unique_id: source.<project>.<source_name>.<table>
        _, _, source_name, table = entry["unique_id"].split(".", 3)
        status = entry.get("status", "runtime error")
        age = entry.get("max_loaded_at_time_ago_in_s")
        criteria = entry.get("criteria") or {}
        sample = {
            "status": status,
            "max_loaded_at": entry.get("max_loaded_at"),
            "snapshotted_at": entry.get("snapshotted_at"),
            "age_hours": round(age / 3600, 1) if age is not None else None,
            "warn_after": criteria.get("warn_after"),
            "error_after": criteria.get("error_after"),
            "message": entry.get("error") or entry.get("message"),
        }
        results.append(
            CheckResult(
                check_name=f"{CHECK_PREFIX}:{source_name}.{table}",
                asset=f"{source_name}.{table}",
                severity=WARN if status == "warn" else ERROR,
                passed=status == "pass",
                failing_rows=None if status == "pass" else 0,
                sample=sample,
            )
        )
    return results
