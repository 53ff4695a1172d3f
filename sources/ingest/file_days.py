"""The day of a landing file (its daily partition): from its name, else its modification day.

Pure functions over names, dates and the landing snapshot's entries ("relative:size:mtime_ns",
sources/ingest/files.py landing_snapshot); nothing here opens a file.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from sources.contracts import DEFAULT_DAY_PATTERN

DAY_GROUPS = ("year", "month", "day")


class DayPatternError(ValueError):
    """A configured day pattern that does not compile or lacks the year, month and day groups."""


def check_day_pattern(pattern: str, feed: str = "") -> re.Pattern[str]:
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        raise DayPatternError(
            f"day pattern {pattern!r} of {feed or 'a feed'} is not a regex: {exc}"
        ) from None
    missing = [g for g in DAY_GROUPS if g not in compiled.groupindex]
    if missing:
        raise DayPatternError(
            f"day pattern {pattern!r} of {feed or 'a feed'} lacks the named group(s) {', '.join(missing)}"
        )
    return compiled


def parse_day_patterns(text: str | None, feeds: set[str] | None = None) -> dict[str, str]:
    """CRM360_FILE_DAY_PATTERNS: JSON {feed: regex with groups year, month, day}; "" = the default."""
    if not text or not text.strip():
        return {}
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise DayPatternError(f"CRM360_FILE_DAY_PATTERNS is not JSON: {exc}") from None
    if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
        raise DayPatternError('CRM360_FILE_DAY_PATTERNS must be a JSON object {"feed": "regex"}')
    unknown = sorted(set(raw) - feeds) if feeds is not None else []
    if unknown:
        raise DayPatternError(f"CRM360_FILE_DAY_PATTERNS names unknown feed(s): {', '.join(unknown)}")
    for feed, pattern in raw.items():
        check_day_pattern(pattern, feed)
    return dict(raw)


def day_in_name(name: str, pattern: str = DEFAULT_DAY_PATTERN) -> date | None:
    """The day the file name carries (the last valid match of `pattern`, overlapping ones included:
    in responses_2024_2025-03-01 "2024_2025" is not a day, "2025-03-01" is), or None."""
    compiled, matches, pos = re.compile(pattern), [], 0
    while (found := compiled.search(name, pos)) is not None:
        matches.append(found)
        pos = found.start() + 1
    for match in reversed(matches):
        try:
            return date(*(int(match.group(g)) for g in DAY_GROUPS))
        except ValueError:  # 2025-02-30: not a day
            continue
    return None


def modification_day(mtime_ns: int) -> date:
    return datetime.fromtimestamp(mtime_ns / 1e9, tz=UTC).date()


@dataclass(frozen=True)
class FileDay:
    day: date
    from_name: bool  # False: the name has no recognisable day, the modification day (UTC) is used


def file_day(relative: str, mtime_ns: int, pattern: str = DEFAULT_DAY_PATTERN) -> FileDay:
    """A file's day: the day in its file name, else the UTC day it was last modified."""
    found = day_in_name(relative.rsplit("/", 1)[-1], pattern)
    return FileDay(found, True) if found else FileDay(modification_day(mtime_ns), False)


def clamp(day: date, first: date, last: date) -> date:
    """The partition a day belongs to: itself inside [first, last]; the first partition for earlier
    days, the last (today) for later ones, so a file is never outside every partition."""
    return min(max(day, first), last)


def split_entry(entry: str) -> tuple[str, int, int]:
    """A landing snapshot entry "relative:size:mtime_ns" -> (relative, size, mtime_ns)."""
    relative, size, mtime = entry.rsplit(":", 2)
    return relative, int(size), int(mtime)


@dataclass(frozen=True)
class FileDays:
    """The deployment's daily partitions of files: their first day, and each feed's day pattern."""

    first: date
    patterns: dict[str, str] = field(default_factory=dict)  # feed -> regex; absent = the default

    def pattern(self, feed: str) -> str:
        return self.patterns.get(feed) or DEFAULT_DAY_PATTERN

    def partition(self, feed: str, relative: str, mtime_ns: int, today: date) -> date:
        """The daily partition of a feed's file: its day, inside the partitions [first, today]."""
        return clamp(file_day(relative, mtime_ns, self.pattern(feed)).day, self.first, today)

    def partitions(self, feed: str, entries: list[str], today: date) -> set[date]:
        """The partitions of a feed's landing snapshot entries."""
        return {self.partition(feed, rel, mtime, today) for rel, _, mtime in map(split_entry, entries)}
