"""Daily partitions of the event feeds: which days (and list feeds) a run covers, from new files.

The event feeds (contracts with `daily=True`: pos, web, callcenter) have one partition per day, the
day of the landing file (sources/ingest/file_days.py). The list feeds stay unpartitioned: a Dagster
job accepts one partitions definition among its assets (asset_job.py,
_infer_and_validate_common_partitions_def), plus unpartitioned ones. A run carries one range of days
(the `dagster/asset_partition_range_*` tags) and, with BackfillPolicy.single_run(), loads every day of
it in one step per feed: one writer, and dbt downstream once.

Everything here is a function of file lists, days and the asset graph; nothing reads the disk.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import dagster as dg
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG

from pipelines.defs.checks.freshness import CHECK_NAME as FRESHNESS_CHECK
from sources.feeds import FEEDS
from sources.ingest.file_days import FileDays

DAILY_FEEDS = tuple(name for name, c in FEEDS.items() if c.daily)
LIST_FEEDS = tuple(name for name, c in FEEDS.items() if not c.daily)
DAY_FORMAT = "%Y-%m-%d"  # DailyPartitionsDefinition's default key format


def raw_key(feed: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", feed])


def feed_partitions(first: date) -> dg.DailyPartitionsDefinition:
    """One partition per UTC day from `first` (Settings.partitions_start) to today included
    (end_offset=1: a file of today has its partition before the day is over)."""
    return dg.DailyPartitionsDefinition(start_date=first.strftime(DAY_FORMAT), end_offset=1, timezone="UTC")


def today_utc() -> date:
    return datetime.now(UTC).date()


class DaysError(ValueError):
    """A --days range that is not two days in order inside the partitions."""


def parse_days(text: str, first: date, today: date) -> tuple[date, date]:
    """'2025-03-01:2025-03-07' (or one day) -> the range, checked against the partitions [first, today]."""
    start_text, _, end_text = text.partition(":")
    try:
        start = date.fromisoformat(start_text.strip())
        end = date.fromisoformat((end_text or start_text).strip())
    except ValueError:
        raise DaysError(f"--days {text!r}: expected START:END as YYYY-MM-DD:YYYY-MM-DD") from None
    if start > end:
        raise DaysError(f"--days {text!r}: {start} is after {end}")
    if start < first or end > today:
        raise DaysError(
            f"--days {text!r}: the daily partitions run from {first} (CRM360_PARTITIONS_START) to {today}"
        )
    return start, end


def partition_tags(days: tuple[date, date]) -> dict[str, str]:
    """The tags that make a run cover a range of partitions (one run, BackfillPolicy.single_run)."""
    return {
        ASSET_PARTITION_RANGE_START_TAG: days[0].strftime(DAY_FORMAT),
        ASSET_PARTITION_RANGE_END_TAG: days[1].strftime(DAY_FORMAT),
    }


@dataclass(frozen=True)
class LoadPlan:
    """What a run loads: a range of days of the event feeds that got files, and the list feeds."""

    days: tuple[date, date] | None  # None: no event-feed file is new
    daily: tuple[str, ...] = ()  # event feeds with new files
    lists: tuple[str, ...] = ()  # list feeds with new files

    @property
    def empty(self) -> bool:
        return self.days is None and not self.lists

    def feeds(self) -> tuple[str, ...]:
        return (*self.daily, *self.lists)

    def describe(self) -> str:
        parts = []
        if self.days:
            span = f"{self.days[0]}" if self.days[0] == self.days[1] else f"{self.days[0]} to {self.days[1]}"
            parts.append(f"{', '.join(self.daily)} for {span}")
        if self.lists:
            parts.append(", ".join(self.lists))
        return "; ".join(parts) or "nothing new"


def plan_for(
    new: dict[str, list[str]], file_days: FileDays, today: date, pulls_api: bool = False
) -> LoadPlan:
    """The plan for new landing files (snapshot entries per feed): the range covering the days of the
    event feeds' new files, and the list feeds that got any. `pulls_api`: the web asset pulls the web
    analytics API first, whose pages land today (their names carry no day): web, up to today."""
    days: set[date] = {today} if pulls_api else set()
    daily = ["web"] if pulls_api else []
    for feed in DAILY_FEEDS:
        if new.get(feed):
            daily += [] if feed in daily else [feed]
            days |= file_days.partitions(feed, new[feed], today)
    lists = tuple(feed for feed in LIST_FEEDS if new.get(feed))
    return LoadPlan((min(days), max(days)) if days else None, tuple(sorted(daily)), tuple(sorted(lists)))


def new_files(previous: dict[str, list[str]], current: dict[str, list[str]]) -> dict[str, list[str]]:
    """Files present now and absent from the previous snapshot, per feed."""
    return {
        feed: sorted(set(entries) - set(previous.get(feed, [])))
        for feed, entries in current.items()
        if set(entries) - set(previous.get(feed, []))
    }


def sorted_keys(keys: Iterable[dg.AssetKey]) -> list[dg.AssetKey]:
    return sorted(keys, key=lambda k: k.to_user_string())


def whole_keys(graph) -> list[dg.AssetKey]:
    """Every asset, each event feed over the run's range of days.

    Not only the feeds that got files and what is downstream of them: a dbt subset reads every
    staging model (int_contact_records unions them all), whose raw table a feed's load creates, and
    a feed's blocking freshness check (a required feed that stopped) holds its staging back only
    when the feed's asset is in the run. A feed with no file of those days loads nothing."""
    keys = graph.get_all_asset_keys()
    return sorted_keys(k for k in keys if graph.get(k).is_materializable)


def run_days(plan: LoadPlan, today: date) -> tuple[date, date]:
    """The range a run covers: the days of the new event files, or today's partition alone when no
    event file is new (the event feeds still run: they load nothing and check their freshness)."""
    return plan.days or (today, today)


def whole_checks(keys: list[dg.AssetKey], graph) -> list[dg.AssetCheckKey]:
    """The checks of the selected assets, and every feed's freshness check (ages keep growing, also for
    a feed with nothing new)."""
    chosen = set(keys)
    return sorted(
        (c for c in graph.asset_check_keys if c.asset_key in chosen or c.name == FRESHNESS_CHECK),
        key=lambda c: c.to_user_string(),
    )


def days_keys(graph) -> list[dg.AssetKey]:
    """A backfill of days: every event feed's partitions of those days, and everything else."""
    return whole_keys(graph)


def run_key(new: dict[str, list[str]]) -> str:
    """The same new files give the same key: a sensor evaluated again requests no second run."""
    digest = hashlib.sha256(json.dumps(new, sort_keys=True).encode()).hexdigest()[:16]
    return f"landing-{digest}"


def landing_request(
    new: dict[str, list[str]], file_days: FileDays, today: date, graph
) -> dg.RunRequest | None:
    """One run for the new files: the partitions of their days (one range), and the whole build
    (whole_keys)."""
    plan = plan_for(new, file_days, today)
    if plan.empty:
        return None
    keys = whole_keys(graph)
    return dg.RunRequest(
        run_key=run_key(new),
        asset_selection=keys,
        asset_check_keys=whole_checks(keys, graph),
        tags={**partition_tags(run_days(plan, today)), "crm360/loads": plan.describe()[:200]},
    )
