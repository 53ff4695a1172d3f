"""When a file has nothing loadable: the SQL test of a usable record and a hint at what the file is."""

from __future__ import annotations

from sources.contracts import FeedContract
from sources.lib.sqltext import ident


def has_required_sql(contract: FeedContract) -> str:
    """SQL condition over staged records: every required column of the contract has a value."""
    return " AND ".join(f"{ident(c.name)} IS NOT NULL" for c in contract.required) or "true"


def looks_like(names: list[str] | tuple[str, ...], contract: FeedContract) -> str:
    """A hint for a file of nothing loadable: another feed whose required columns it has, or a
    delimiter other than the comma."""
    from sources.feeds import FEEDS  # the feeds import the contracts this module reads

    others = [
        f.name
        for f in FEEDS.values()
        if f.name != contract.name and f.required and all(c.name in names for c in f.required)
    ]
    if others:
        return f" (its columns are those of feed {' / '.join(others)}: delivered to the wrong folder?)"
    if len(names) == 1 and (sep := next((d for d in ";\t|" if d in names[0]), None)):
        return f" (one column {names[0][:60]!r}: fields separated by {sep!r}, comma expected)"
    return ""
