"""One Great Expectations validation of several loads, split back into results per load.

Row-level expectations (not null, in set, between, unique per file, ...) list every failing row
with its `_load_id` and `_source_line` (result format COMPLETE, quality/gx_context.py), so each
load gets its own failing count and examples. Expectations on the whole column (its type) have
no rows: their verdict holds for every load of the group alike.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from quality.gx_context import EXAMPLES
from quality.gx_groups import LOAD_ID
from quality.results import ERROR, WARN, CheckResult
from sources.contracts import FeedContract


@dataclass
class BatchValidation:
    """One load's (landing file's) outcome, whichever GX validation it was part of."""

    feed: str
    load_id: str
    source_file: str
    rows_in_batch: int
    rows_validated: int
    success: bool | None  # None: no rows, nothing validated
    results: list[CheckResult] = field(default_factory=list)
    docs_page: str | None = None
    loads_in_validation: int = 1  # loads validated together with this one (itself included)


def severity(cfg: Any) -> str:
    """GX's WARNING severity is our warn; CRITICAL (the default) and INFO failures are errors."""
    level = getattr(getattr(cfg, "severity", None), "value", getattr(cfg, "severity", "critical"))
    return WARN if str(level).lower() == "warning" else ERROR


def rule_name(expectation_type: str, kwargs: Mapping[str, Any]) -> str:
    """Stable check name of one expectation: gx:<expectation>:<column(s)>."""
    cols = (
        kwargs.get("column") or kwargs.get("column_list") or [kwargs.get("column_A"), kwargs.get("column_B")]
    )
    if isinstance(cols, list | tuple):
        cols = ",".join(str(c) for c in cols if c)
    return f"gx:{expectation_type}:{cols}"


def check_name(cfg: Any) -> str:
    """The rule's stable name; an expectation widened by the load id column keeps its per-file name."""
    return (cfg.meta or {}).get("check_name") or rule_name(cfg.type, cfg.kwargs)


def rows_by_load(result: Mapping[str, Any], load_ids: list[str]) -> dict[str, list[dict]] | None:
    """Failing rows per load id, without the load id column; None when GX gave no complete row list
    (a column-level expectation, or a count the listed rows do not add up to)."""
    listed = result.get("unexpected_index_list")
    unexpected = result.get("unexpected_count")
    if listed is None or unexpected is None or len(listed) != unexpected:
        return None
    out: dict[str, list[dict]] = {load_id: [] for load_id in load_ids}
    for row in listed:
        out.setdefault(str(row.get(LOAD_ID)), []).append({k: v for k, v in row.items() if k != LOAD_ID})
    return out


def _sample(batch: BatchValidation, rows: list[dict], result: Mapping[str, Any]) -> dict[str, Any]:
    sample: dict[str, Any] = {
        "rows": rows[:EXAMPLES],
        "load_id": batch.load_id,
        "source_file": batch.source_file,
        "rows_in_batch": batch.rows_in_batch,
        "rows_validated": batch.rows_validated,
        "sampled": batch.rows_validated < batch.rows_in_batch,
        "loads_in_validation": batch.loads_in_validation,
    }
    if "observed_value" in result:
        sample["observed_value"] = result["observed_value"]
    return sample


def expectation_results(er: Any, contract: FeedContract, batches: list[BatchValidation]) -> list[CheckResult]:
    """One CheckResult per load of the group for one expectation's result."""
    cfg, res = er.expectation_config, er.result or {}
    name, level = check_name(cfg), severity(cfg)
    raised = er.exception_info and er.exception_info.get("raised_exception")
    per_load = None if raised else rows_by_load(res, [b.load_id for b in batches])
    out = []
    for batch in batches:
        if per_load is not None:
            rows = per_load.get(batch.load_id, [])
            passed, failing = not rows, len(rows)
        else:  # the column's verdict (its type), or an error: the same for every load
            passed = bool(er.success) and not raised
            failing = 0 if passed else None
            rows = [{"value": v} for v in res.get("partial_unexpected_list") or []]
        sample = _sample(batch, rows, res)
        if raised:
            sample["exception"] = str(er.exception_info.get("exception_message"))
        out.append(CheckResult(name, contract.raw_table, level, passed, failing, sample))
    return out


def attribute(suite_result: Any, contract: FeedContract, batches: list[BatchValidation]) -> None:
    """Fill each load's results and success from the group's validation result."""
    per_expectation = [expectation_results(er, contract, batches) for er in suite_result.results]
    for i, batch in enumerate(batches):
        batch.results = [results[i] for results in per_expectation]
        batch.success = all(r.passed for r in batch.results)
