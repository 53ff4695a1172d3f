"""Calibrated distribution rules: the bounds, severity and minimum samples of rules that judge how data
is distributed (anonymous share, daily revenue band) rather than whether it is valid.

Such bounds describe one business, not the truth: a store that sells most lines anonymously is not
broken. So they come from configuration (CRM360_* variables, pipelines/config.py), warn by default and
give no verdict below a minimum sample. Integrity rules (keys, types, references, reconciliation,
impossible values) stay errors and are not configured here.
"""

from __future__ import annotations

from dataclasses import dataclass

from quality.results import ERROR, WARN


@dataclass(frozen=True)
class DistributionSettings:
    # warn: reported, never blocks; error: a failure with a big enough sample closes the quality gate
    severity: str = WARN
    # In the simulated feeds about 35% of POS sale lines are anonymous; many real stores sell more.
    max_anonymous_share: float = 0.6
    # Below this many sale lines a share says nothing (18 lines of a week-one store): no verdict.
    anonymous_share_min_lines: int = 200
    # A day's revenue against the median of the 28 days before it: 0.1x catches a half-loaded day,
    # 10x a duplicated load; with fewer prior days than the minimum the median means nothing.
    revenue_band_low: float = 0.1
    revenue_band_high: float = 10.0
    revenue_band_min_prior_days: int = 7

    def __post_init__(self) -> None:
        if self.severity not in (WARN, ERROR):
            raise ValueError(f"distribution severity must be {WARN!r} or {ERROR!r}, not {self.severity!r}")
        if not 0 <= self.max_anonymous_share <= 1:
            raise ValueError(f"max anonymous share must be within 0..1, not {self.max_anonymous_share}")
        if not 0 <= self.revenue_band_low < self.revenue_band_high:
            raise ValueError("revenue band needs 0 <= low < high")
        if self.anonymous_share_min_lines < 1 or self.revenue_band_min_prior_days < 1:
            raise ValueError("minimum samples must be at least 1")


# settings attribute -> (env var, description); pipelines/config.py lists them in ENV_VARS
DISTRIBUTION_ENV: dict[str, tuple[str, str]] = {
    "severity": (
        "CRM360_DISTRIBUTION_SEVERITY",
        "Severity of the distribution rules (anonymous share, daily revenue band): warn "
        "reports them, error lets a failure with a big enough sample close the quality gate.",
    ),
    "max_anonymous_share": (
        "CRM360_MAX_ANONYMOUS_SHARE",
        "Share of the lines in core.fct_order_lines without a customer above which `anonymous_share` fails.",
    ),
    "anonymous_share_min_lines": (
        "CRM360_ANONYMOUS_SHARE_MIN_LINES",
        "Sale lines `anonymous_share` needs before it can fail.",
    ),
    "revenue_band_low": (
        "CRM360_REVENUE_BAND_LOW",
        "A day's revenue below this multiple of the trailing 28-day median fails `daily_revenue_band`.",
    ),
    "revenue_band_high": (
        "CRM360_REVENUE_BAND_HIGH",
        "A day's revenue above this multiple of the trailing 28-day median fails `daily_revenue_band`.",
    ),
    "revenue_band_min_prior_days": (
        "CRM360_REVENUE_BAND_MIN_PRIOR_DAYS",
        "Days with sales among the 28 before a day that `daily_revenue_band` needs to judge it.",
    ),
}


def distribution_settings(env: dict[str, str]) -> DistributionSettings:
    """CRM360_* variables onto DistributionSettings; unset or empty keeps the default."""
    defaults = DistributionSettings()
    values: dict[str, object] = {}
    for attr, (var, _) in DISTRIBUTION_ENV.items():
        raw = env.get(var, "").strip()
        if raw:
            values[attr] = raw.lower() if attr == "severity" else type(getattr(defaults, attr))(raw)
    return DistributionSettings(**{**defaults.__dict__, **values})
