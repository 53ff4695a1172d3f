"""Daily partitions of the event feeds: the day of a file, the range of days a run covers, --days.

Pure functions: no Dagster instance, no warehouse (the sensor: test_dagster_definitions.py; a
backfill run: test_partition_backfill.py)."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from pipelines.config import load_settings
from pipelines.defs.partitions import (
    DAILY_FEEDS,
    LIST_FEEDS,
    DaysError,
    LoadPlan,
    parse_days,
    partition_tags,
    plan_for,
    run_key,
)
from sources.ingest.file_days import (
    DayPatternError,
    FileDays,
    clamp,
    day_in_name,
    file_day,
    parse_day_patterns,
)
from sources.ingest.files import landing_snapshot
from tests.ingest_helpers import write

TODAY = date(2026, 12, 6)
MTIME = int(datetime(2025, 6, 30, 23, 0, tzinfo=UTC).timestamp() * 1e9)


def test_the_day_comes_from_the_file_name_in_the_usual_spellings() -> None:
    assert day_in_name("pos_2025-03-01.csv") == date(2025, 3, 1)
    assert day_in_name("web_2025_03_01.jsonl.gz") == date(2025, 3, 1)
    assert day_in_name("calls_20250301.csv") == date(2025, 3, 1)
    # digits touching letters are no day: a hash in the web API's page names, or a glued name
    assert day_in_name("page-1f0a20250301be.jsonl.gz") is None
    assert day_in_name("calls20250301.csv") is None
    assert day_in_name("pos_2025-03_01.csv") is None  # two separators: one kind
    # a list file with a campaign number before the day: the last valid match wins
    assert day_in_name("responses_2024_2025-03-01.csv") == date(2025, 3, 1)
    assert day_in_name("export_123456789.csv") is None  # inside a longer number: not a day
    assert day_in_name("pos_2025-02-30.csv") is None  # not a day of the calendar


def test_a_name_without_a_day_takes_its_modification_day_in_utc() -> None:
    assert file_day("pos/pos_2025-03-01.csv", MTIME) == file_day("pos/pos_2025-03-01.csv", 0)
    assert file_day("pos/pos_2025-03-01.csv", MTIME).from_name
    undated = file_day("pos/today.csv", MTIME)
    assert undated.day == date(2025, 6, 30) and not undated.from_name
    # the day is searched in the file name only, not in its folders
    assert file_day("pos/2024-01-01/export.csv", MTIME).day == date(2025, 6, 30)


def test_a_company_names_its_own_day_pattern_per_feed() -> None:
    patterns = parse_day_patterns(
        '{"pos": "sales_(?P<day>[0-9]{2})(?P<month>[0-9]{2})(?P<year>[0-9]{4})"}', set(DAILY_FEEDS)
    )
    days = FileDays(date(2020, 1, 1), patterns)
    assert days.partition("pos", "pos/sales_01032025.csv", MTIME, TODAY) == date(2025, 3, 1)
    assert days.partition("web", "web/web_2025-03-01.jsonl", MTIME, TODAY) == date(2025, 3, 1)  # default
    with pytest.raises(DayPatternError, match="lacks the named group"):
        parse_day_patterns('{"pos": "(?P<year>[0-9]{4})"}')
    with pytest.raises(DayPatternError, match="unknown feed"):
        parse_day_patterns('{"shop": "(?P<year>.)(?P<month>.)(?P<day>.)"}', set(DAILY_FEEDS))
    with pytest.raises(DayPatternError, match="not JSON"):
        parse_day_patterns("{pos")
    assert parse_day_patterns("") == {}


def test_days_outside_the_partitions_go_to_the_first_or_the_last() -> None:
    first = date(2025, 1, 1)
    assert clamp(date(2024, 12, 31), first, TODAY) == first
    assert clamp(date(2027, 1, 1), first, TODAY) == TODAY
    assert clamp(date(2025, 5, 5), first, TODAY) == date(2025, 5, 5)


def test_the_partitions_start_and_patterns_come_from_the_settings(tmp_path: Path) -> None:
    default = load_settings(tmp_path, env={})
    assert default.partitions_start == date(2020, 1, 1) and default.file_day_patterns == {}
    env = {
        "CRM360_PARTITIONS_START": "2023-07-01",
        "CRM360_FILE_DAY_PATTERNS": '{"web": "d(?P<year>[0-9]{4})(?P<month>[0-9]{2})(?P<day>[0-9]{2})"}',
    }
    chosen = load_settings(tmp_path, env=env)
    assert chosen.partitions_start == date(2023, 7, 1) and set(chosen.file_day_patterns) == {"web"}
    with pytest.raises(ValueError, match="CRM360_PARTITIONS_START"):
        load_settings(tmp_path, env={"CRM360_PARTITIONS_START": "July"})


def test_a_plan_covers_the_days_of_the_new_event_files_and_the_lists_that_got_files() -> None:
    new = {
        "pos": ["pos/pos_2025-03-04.csv:10:0", "pos/pos_2025-03-02.csv:10:0"],
        "web": ["web/web_2025-03-03.jsonl.gz:10:0"],
        "compiled_list": ["lists/compiled/acme_L01_2025-01-09.csv:10:0"],  # its day does not matter
    }
    plan = plan_for(new, FileDays(date(2020, 1, 1)), TODAY)
    assert plan == LoadPlan((date(2025, 3, 2), date(2025, 3, 4)), ("pos", "web"), ("compiled_list",))
    assert plan.describe() == "pos, web for 2025-03-02 to 2025-03-04; compiled_list"
    lists_only = plan_for({"response_list": ["lists/response/r.csv:1:0"]}, FileDays(date(2020, 1, 1)), TODAY)
    assert lists_only.days is None and not lists_only.empty and lists_only.daily == ()
    assert plan_for({}, FileDays(date(2020, 1, 1)), TODAY).empty
    # with the web API configured, web is pulled and loaded up to today even with no new file
    pulled = plan_for({}, FileDays(date(2020, 1, 1)), TODAY, pulls_api=True)
    assert pulled == LoadPlan((TODAY, TODAY), ("web",))
    assert plan_for(new, FileDays(date(2020, 1, 1)), TODAY, pulls_api=True).days == (date(2025, 3, 2), TODAY)
    assert set(DAILY_FEEDS) == {"pos", "web", "callcenter", "pos_order_events"}
    assert "compiled_list" in LIST_FEEDS


def test_a_plan_reads_the_landing_snapshot(tmp_path: Path) -> None:
    write(tmp_path / "pos" / "pos_2025-03-01.csv", "x\n")
    undated = tmp_path / "callcenter" / "calls.csv"
    write(undated, "x\n")
    os.utime(undated, ns=(MTIME, MTIME))
    plan = plan_for(landing_snapshot(tmp_path), FileDays(date(2020, 1, 1)), TODAY)
    assert plan.days == (date(2025, 3, 1), date(2025, 6, 30)) and plan.daily == ("callcenter", "pos")


def test_days_parse_one_range_inside_the_partitions() -> None:
    first = date(2025, 1, 1)
    assert parse_days("2025-03-01:2025-03-07", first, TODAY) == (date(2025, 3, 1), date(2025, 3, 7))
    assert parse_days("2025-03-01", first, TODAY) == (date(2025, 3, 1), date(2025, 3, 1))
    for bad, reason in [
        ("2025-03-07:2025-03-01", "after"),
        ("2024-12-31:2025-01-02", "CRM360_PARTITIONS_START"),
        ("2026-12-06:2026-12-07", "to 2026-12-06"),
        ("March", "YYYY-MM-DD"),
    ]:
        with pytest.raises(DaysError, match=reason):
            parse_days(bad, first, TODAY)
    assert partition_tags((date(2025, 3, 1), date(2025, 3, 7))) == {
        "dagster/asset_partition_range_start": "2025-03-01",
        "dagster/asset_partition_range_end": "2025-03-07",
    }


def test_the_run_key_is_the_same_for_the_same_new_files() -> None:
    a = {"pos": ["pos/pos_2025-03-01.csv:10:1"]}
    assert run_key(a) == run_key({"pos": ["pos/pos_2025-03-01.csv:10:1"]})
    assert run_key(a) != run_key({"pos": ["pos/pos_2025-03-01.csv:11:2"]})  # re-sent: another run
