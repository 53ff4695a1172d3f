"""Which kind of reference each feed sends in `customer_ref`: patterns per feed, passed to dbt.

POS and call-center lines carry one `customer_ref`. What it is depends on the system that sent
it: our web account id (`ACC-...`), our loyalty card (`LC-...`), or a shop's own customer
number ('100234'). Per feed, a regular expression says which references are account ids and
which are loyalty cards (account id first when both match); every other non-empty reference is
kept as a local reference of the feed's own namespace ('pos:100234'), so that the same number
links one customer's records of that feed and never meets another feed's numbers.

Patterns are matched (anywhere, anchor with ^ and $) against the reference as staging cleans it:
upper-cased, whitespace removed. dbt evaluates them with DuckDB's regexp_matches (RE2 syntax);
here they only need to compile. An empty pattern (or null) means the feed sends no such kind.

The one source of truth is DEFAULT_REF_PATTERNS, overridden by CRM360_CUSTOMER_REF_PATTERNS
(pipelines/config.py); dbt receives the result as the var `customer_ref_patterns`, and
dbt_project/dbt_project.yml repeats the defaults for analysts running dbt by hand (a test
keeps the two equal).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from typing import Any

# The feeds whose contracts carry customer_ref as a reference of a person.
REF_FEEDS: tuple[str, ...] = ("pos", "callcenter")
REF_KINDS: tuple[str, ...] = ("account_id", "loyalty_card")
DBT_VAR = "customer_ref_patterns"


@dataclass(frozen=True)
class RefPatterns:
    """Regular expressions for a feed's account ids and loyalty cards; '' = the feed sends none."""

    account_id: str = "^ACC-"
    loyalty_card: str = "^LC-"


DEFAULT_REF_PATTERNS: dict[str, RefPatterns] = {feed: RefPatterns() for feed in REF_FEEDS}


def _pattern(feed: str, kind: str, value: object) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"customer_ref pattern {feed}.{kind} must be a string, not {value!r}")
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"customer_ref pattern {feed}.{kind} = {value!r} is not a regex: {exc}") from exc
    return value


def parse_ref_patterns(text: str | None) -> dict[str, RefPatterns]:
    """CRM360_CUSTOMER_REF_PATTERNS (JSON) over the defaults; unset or empty keeps the defaults.

    '{"pos": {"account_id": "", "loyalty_card": "^\\\\d{10}$"}}' says POS sends no account ids and
    its loyalty cards are ten digits; feeds and kinds not named keep their defaults.
    """
    patterns = dict(DEFAULT_REF_PATTERNS)
    if not text or not text.strip():
        return patterns
    try:
        given = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"CRM360_CUSTOMER_REF_PATTERNS is not JSON: {exc}") from exc
    if not isinstance(given, dict):
        raise ValueError("CRM360_CUSTOMER_REF_PATTERNS must be a JSON object of feed -> {kind: pattern}")
    for feed, kinds in given.items():
        if feed not in REF_FEEDS:
            raise ValueError(f"CRM360_CUSTOMER_REF_PATTERNS: {feed!r} is not one of {', '.join(REF_FEEDS)}")
        if not isinstance(kinds, dict) or set(kinds) - set(REF_KINDS):
            raise ValueError(
                f"CRM360_CUSTOMER_REF_PATTERNS: {feed} takes an object with keys {', '.join(REF_KINDS)}"
            )
        patterns[feed] = replace(
            patterns[feed], **{kind: _pattern(feed, kind, value) for kind, value in kinds.items()}
        )
    return patterns


def ref_patterns_dbt_vars(patterns: Mapping[str, RefPatterns]) -> dict[str, Any]:
    """The dbt var the staging macros read (macros/normalize/customer_ref.sql): every feed, both kinds."""
    return {DBT_VAR: {feed: asdict(patterns[feed]) for feed in sorted(patterns)}}


def classify_ref(feed: str, ref: str | None, patterns: Mapping[str, RefPatterns]) -> tuple[str, str] | None:
    """(column, value) a cleaned reference lands in: account_id, loyalty_card or local_ref.

    The Python twin of the staging macros, for tests and tools; None for an empty reference.
    """
    cleaned = (ref or "").strip().replace(" ", "").upper()  # macro clean_ref
    if not cleaned:
        return None
    p = patterns[feed]
    if p.account_id and re.search(p.account_id, cleaned):
        return "account_id", cleaned
    if p.loyalty_card and re.search(p.loyalty_card, cleaned):
        return "loyalty_card", cleaned
    return "local_ref", f"{feed}:{cleaned}"
