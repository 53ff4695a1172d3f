"""Freshness of every raw feed against its declared rule (CRM360_FEEDS, pipelines/feeds.py).

One multi-asset check, blocking on raw.<feed>: a feed older than its error limit, or a required feed
that never delivered, stops its staging; a warning (an optional feed that never delivered, a late
one) does not. The age is that of the last load (max `_loaded_at`), read straight from DuckDB.
"""

from collections.abc import Iterator
from datetime import UTC, datetime

import dagster as dg
import duckdb

from pipelines.defs.resources import WAREHOUSE_POOL, LandingResource, WarehouseResource
from pipelines.feeds import FeedRule, Freshness, freshness_verdict, parse_feed_rules
from quality.results import CheckResult, record_results
from sources.feeds import FEEDS
from sources.lib.duck import table_exists

CHECK_NAME = "source_freshness"  # the Dagster check on each raw asset
CHECK_PREFIX = "source_freshness"  # audit.check_results: source_freshness:raw.<feed>


def freshness_check_keys() -> list[dg.AssetCheckKey]:
    """Every feed's freshness check: what a run with nothing new still executes (ages keep growing)."""
    return [dg.AssetCheckKey(dg.AssetKey(["raw", feed]), CHECK_NAME) for feed in FEEDS]


def last_loaded_at(con: duckdb.DuckDBPyConnection, feed: str) -> datetime | None:
    """max(_loaded_at) of raw.<feed>; None when the table is missing or empty (never delivered)."""
    if not table_exists(con, "raw", feed):
        return None
    return con.execute(f'SELECT max(_loaded_at) FROM raw."{feed}"').fetchone()[0]


def freshness_check_result(verdict: Freshness, rule: FeedRule) -> CheckResult:
    """The verdict as a row of audit.check_results."""
    return CheckResult(
        check_name=f"{CHECK_PREFIX}:raw.{verdict.feed}",
        asset=f"raw.{verdict.feed}",
        severity=verdict.severity,
        passed=verdict.passed,
        failing_rows=None,  # not a row count: the message says what is wrong
        sample={"status": verdict.status, "age_hours": verdict.age_hours, "message": verdict.message,
                "rule": rule.__dict__},
    )  # fmt: skip


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            CHECK_NAME,
            asset=dg.AssetKey(["raw", feed]),
            blocking=True,
            description=f"Age of the last load of raw.{feed} against its rule (CRM360_FEEDS); "
            "a required feed that never delivered fails, an optional one warns.",
        )
        for feed in FEEDS
    ],
    name="raw_source_freshness",
    pool=WAREHOUSE_POOL,
    can_subset=True,  # `--select raw/pos` checks raw.pos only
)
def freshness_check(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource, landing: LandingResource
) -> Iterator[dg.AssetCheckResult]:
    rules = parse_feed_rules(landing.feeds_json)
    now = datetime.now(UTC)
    feeds = [k.asset_key.path[-1] for k in context.selected_asset_check_keys]
    with warehouse.connect() as con:
        verdicts = [freshness_verdict(f, rules[f], last_loaded_at(con, f), now) for f in feeds]
        record_results(con, [freshness_check_result(v, rules[v.feed]) for v in verdicts], context.run.run_id)
    for verdict in verdicts:
        if not verdict.passed:
            log = context.log.error if verdict.severity == "error" else context.log.warning
            log(verdict.message)
        yield dg.AssetCheckResult(
            asset_key=dg.AssetKey(["raw", verdict.feed]),
            check_name=CHECK_NAME,
            passed=verdict.passed,
            severity=dg.AssetCheckSeverity.ERROR
            if verdict.severity == "error"
            else dg.AssetCheckSeverity.WARN,
            description=verdict.message,
            metadata={
                "freshness": dg.MetadataValue.json({"status": verdict.status, "age_hours": verdict.age_hours})
            },
        )
