"""Declared feeds: which feeds a deployment expects (required or optional) and each one's freshness rule.

Pure functions, no Dagster: `CRM360_FEEDS` parsed into rules, a freshness verdict from the time of a
feed's last load, and the landing-folder check `crm360 run` makes before anything is built.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from sources.feeds import FEEDS

REQUIRED, OPTIONAL = "required", "optional"
NEVER_DELIVERED = "never delivered"


@dataclass(frozen=True)
class FeedRule:
    """What a deployment expects of one feed. Days of None switch that freshness limit off."""

    expect: str = OPTIONAL  # required | optional
    warn_after_days: float | None = None
    error_after_days: float | None = None

    @property
    def required(self) -> bool:
        return self.expect == REQUIRED


# Operational feeds land at least daily: warn after 2 days (one missed delivery plus a weekend),
# error after 7 (weekly KPIs and recency segments go wrong). Lists and audiences arrive when a
# list is bought or a campaign launches: no freshness limit. Every feed is optional by default:
# one that never delivered is a warning until the deployment declares it required.
_DAILY = FeedRule(OPTIONAL, 2, 7)
DEFAULT_FEED_RULES: dict[str, FeedRule] = {
    name: (_DAILY if name in ("web", "pos", "callcenter") else FeedRule()) for name in FEEDS
}
_KEYS = {"expect", "warn_after_days", "error_after_days"}


def parse_feed_rules(text: str | None) -> dict[str, FeedRule]:
    """CRM360_FEEDS (JSON) over the defaults, e.g. '{"pos": "required", "web": {"error_after_days": 3}}'.

    A feed maps to "required", "optional" or an object with any of expect, warn_after_days and
    error_after_days (null switches a limit off); feeds not named keep their defaults.
    """
    rules = dict(DEFAULT_FEED_RULES)
    if not text or not text.strip():
        return rules
    try:
        given = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"CRM360_FEEDS is not JSON ({exc}): {text!r}") from None
    if not isinstance(given, dict):
        raise ValueError('CRM360_FEEDS must be a JSON object like {"pos": "required"}')
    for name, spec in given.items():
        if name not in rules:
            raise ValueError(f"CRM360_FEEDS: unknown feed {name!r}; known feeds: {', '.join(FEEDS)}")
        spec = {"expect": spec} if isinstance(spec, str) else spec
        if not isinstance(spec, dict) or set(spec) - _KEYS:
            raise ValueError(
                f"CRM360_FEEDS[{name!r}]: expected 'required', 'optional' or an object with "
                f"{', '.join(sorted(_KEYS))}; got {spec!r}"
            )
        if spec.get("expect", OPTIONAL) not in (REQUIRED, OPTIONAL):
            raise ValueError(f"CRM360_FEEDS[{name!r}].expect must be 'required' or 'optional'")
        rules[name] = replace(rules[name], **spec)
    return rules


def rules_json(rules: dict[str, FeedRule]) -> str:
    """Rules as JSON text (how they travel in a Dagster resource); parse_feed_rules reads it back."""
    return json.dumps({name: rule.__dict__ for name, rule in rules.items()}, sort_keys=True)


@dataclass(frozen=True)
class Freshness:
    feed: str
    status: str  # pass | warn | error | never delivered
    severity: str  # error | warn
    passed: bool
    age_hours: float | None
    message: str


def freshness_verdict(feed: str, rule: FeedRule, last_loaded_at: datetime | None, now: datetime) -> Freshness:
    """How fresh raw.<feed> is: never delivered (an error only when required), or its age against the rule."""
    if last_loaded_at is None:
        severity = "error" if rule.required else "warn"
        note = "required by CRM360_FEEDS: an error" if rule.required else "optional: a warning"
        return Freshness(
            feed, NEVER_DELIVERED, severity, False, None, f"raw.{feed}: never delivered ({note})"
        )
    age_days = (now - last_loaded_at).total_seconds() / 86400
    hours = round(age_days * 24, 1)
    for status, limit in (("error", rule.error_after_days), ("warn", rule.warn_after_days)):
        if limit is not None and age_days > limit:
            text = f"raw.{feed}: last load {hours} h ago, more than {limit:g} days ({status} limit)"
            return Freshness(feed, status, status, False, hours, text)
    return Freshness(feed, "pass", "warn", True, hours, f"raw.{feed}: last load {hours} h ago")


class LandingMissing(Exception):
    """The landing folder `crm360 run` was pointed at does not exist."""


def check_landing_dir(landing_dir: Path) -> None:
    """Raise LandingMissing with what to do when the landing folder is absent or not a folder."""
    if landing_dir.is_dir():
        return
    what = "is not a folder" if landing_dir.exists() else "does not exist"
    raise LandingMissing(
        f"landing folder {landing_dir} {what}; nothing was built. Check --data-dir (its landing/ "
        "folder) or CRM360_LANDING_DIR, or create the folder if no feed has delivered yet."
    )
