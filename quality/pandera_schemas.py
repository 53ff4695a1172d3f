"""Pandera (ibis) rules on the core facts and marts.customer_360, one named rule per check.

Only what dbt does not check: row arithmetic (amount = quantity x price - discount within a
tolerance), cross-column order (shipped <= ordered, delivered after shipped, answered within the
contact), value ranges no dbt test states, and distribution rules calibrated at run time. Types,
not-null, unique keys, references to the dimensions, accepted values, SCD2 ranges and the rules of
dbt's expression tests are dbt's (dbt_project/models/core/_core__models.yml, marts yml); a rule here
that repeats one fails tests/test_quality_one_source.py.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from quality.calibration import DistributionSettings
from quality.pandera_rules import Failures, Rule, TableSpec

# Rounding: amount, unit_price and discount are DECIMAL(12,2); a POS that rounds per line can be
# off by a cent or two, so 0.02 separates rounding from a wrong amount.
AMOUNT_TOLERANCE = 0.02
TRAILING_DAYS = 28  # the revenue band's window; its bounds are DistributionSettings


def _anonymous_share(dist: DistributionSettings) -> Failures:
    bound, min_lines = dist.max_anonymous_share, dist.anonymous_share_min_lines

    def failures(t: ir.Table) -> ir.Table:
        stats = t.aggregate(lines=t.count(), anonymous=t.customer_key.isnull().sum())
        stats = stats.mutate(share=stats.anonymous.cast("float64") / stats.lines.cast("float64"))
        # below the minimum sample a share says nothing: no failing row, whatever the share
        return stats.filter((stats.lines >= min_lines) & (stats.share > bound)).mutate(
            bound=ibis.literal(bound), min_lines=ibis.literal(min_lines)
        )

    return failures


def _revenue_outliers(dist: DistributionSettings) -> Failures:
    low, high, min_days = dist.revenue_band_low, dist.revenue_band_high, dist.revenue_band_min_prior_days

    def failures(t: ir.Table) -> ir.Table:
        # days as integers (epoch days): this ibis/sqlglot pair cannot render date - interval in a join
        daily = t.group_by(day=t.transaction_at.date()).aggregate(revenue=t.amount.sum().cast("float64"))
        daily = daily.mutate(n=(daily.day.epoch_seconds() // 86400).cast("int64"))
        prior = daily.select(prior_n=daily.n, prior_revenue=daily.revenue)
        joined = daily.join(prior, [prior.prior_n < daily.n, prior.prior_n >= daily.n - TRAILING_DAYS])
        band = joined.group_by("day", "revenue").aggregate(
            median=joined.prior_revenue.median(), prior_days=joined.prior_n.count()
        )
        return band.filter(
            (band.prior_days >= min_days)
            & ((band.revenue < low * band.median) | (band.revenue > high * band.median))
        ).order_by("day")

    return failures


def fct_order_lines_spec(dist: DistributionSettings) -> TableSpec:
    """core.fct_order_lines with its distribution rules calibrated by `dist`."""
    return TableSpec(
        "core",
        "fct_order_lines",
        key="order_line_key",
        rules=(
            Rule(
                "pandera:fct_order_lines:unit_price_non_negative",
                ok=lambda t: t.unit_price >= 0,
                columns=("unit_price",),
            ),
            Rule(
                "pandera:fct_order_lines:amount_consistent",
                ok=lambda t: (
                    (t.amount - (t.quantity * t.unit_price - t.discount.fill_null(0))).abs()
                    <= AMOUNT_TOLERANCE
                ),
                columns=("quantity", "unit_price", "discount", "amount"),
            ),
            Rule(
                "pandera:fct_order_lines:shipped_le_ordered",
                ok=lambda t: t.quantity_shipped <= t.quantity_ordered,
                columns=("quantity_ordered", "quantity_shipped"),
            ),
            Rule(
                "pandera:fct_order_lines:delivered_after_shipped",
                ok=lambda t: t.delivered_at >= t.shipped_at,
                columns=("shipped_at", "delivered_at"),
            ),
            Rule(
                "pandera:fct_order_lines:anonymous_share",
                severity=dist.severity,
                failures=_anonymous_share(dist),
            ),
            Rule(
                "pandera:fct_order_lines:daily_revenue_band",
                severity=dist.severity,
                failures=_revenue_outliers(dist),
            ),
        ),
    )


FCT_RETURNS = TableSpec(
    "core",
    "fct_returns",
    key="return_line_key",
    rules=(
        # the feed sends returns negative; core flips them, so a negative here is a double flip
        Rule(
            "pandera:fct_returns:quantity_positive",
            ok=lambda t: t.quantity_returned > 0,
            columns=("quantity_returned",),
        ),
        Rule(
            "pandera:fct_returns:refund_non_negative",
            ok=lambda t: t.refund_amount >= 0,
            columns=("refund_amount",),
        ),
    ),
)

FCT_INTERACTIONS = TableSpec(
    "core",
    "fct_interactions",
    key="interaction_id",
    rules=(
        Rule(
            "pandera:fct_interactions:answered_within_contact",
            ok=lambda t: (
                (t.answered_at >= t.started_at) & (t.answered_at <= t.ended_at.fill_null(t.answered_at))
            ),
            columns=("started_at", "answered_at", "ended_at"),
        ),
        Rule(
            "pandera:fct_interactions:hold_wrap_non_negative",
            ok=lambda t: (t.hold_seconds.fill_null(0) >= 0) & (t.wrap_seconds.fill_null(0) >= 0),
            columns=("hold_seconds", "wrap_seconds"),
        ),
        Rule("pandera:fct_interactions:csat_1_5", ok=lambda t: t.csat.between(1, 5), columns=("csat",)),
        Rule("pandera:fct_interactions:nps_0_10", ok=lambda t: t.nps.between(0, 10), columns=("nps",)),
    ),
)

# core.dim_customer and core.fct_web_sessions have no pandera spec: every rule they had is a dbt test
# (scd2_valid_ranges; expression_is_true on session times, events and duration; relationships).

_COUNTS = ("touchpoints", "orders", "returns", "web_sessions", "interactions", "campaign_responses")
_VALUES = ("order_value", "return_value")
CUSTOMER_360 = TableSpec(
    "marts",
    "customer_360",
    key="customer_key",
    rules=(
        Rule(
            "pandera:customer_360:counts_non_negative",
            ok=lambda t: ibis.and_(*[t[c] >= 0 for c in _COUNTS]),
            columns=_COUNTS,
        ),
        Rule(
            "pandera:customer_360:values_non_negative",
            ok=lambda t: ibis.and_(*[t[c].fill_null(0) >= 0 for c in _VALUES]),
            columns=_VALUES,
        ),
    ),
)


def specs(dist: DistributionSettings | None = None) -> dict[str, TableSpec]:
    """Every spec by schema.table, distribution rules calibrated by `dist` (default settings if None)."""
    order_lines = fct_order_lines_spec(dist or DistributionSettings())
    tables = (order_lines, FCT_RETURNS, FCT_INTERACTIONS, CUSTOMER_360)
    return {s.qualified: s for s in tables}


SPECS: dict[str, TableSpec] = specs()  # with the default calibration: names, docs and tests
FCT_ORDER_LINES = SPECS["core.fct_order_lines"]
