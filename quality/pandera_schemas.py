"""Pandera (ibis) schemas of the core star schema and marts.customer_360, one named rule per check."""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from quality.calibration import DistributionSettings
from quality.pandera_rules import (
    DEC14,
    I32,
    Failures,
    Predicate,
    Rule,
    S,
    TableSpec,
    _cols,
    _types,
)
from sources.feeds.pos import RETURN_REASONS

# Rounding: amount, unit_price and discount are DECIMAL(12,2); a POS that rounds per line can be
# off by a cent or two, so 0.02 separates rounding from a wrong amount.
AMOUNT_TOLERANCE = 0.02
TRAILING_DAYS = 28  # the revenue band's window; its bounds are DistributionSettings


def _ref(t: ir.Table, schema: str, table: str) -> ir.Table:
    # the check only sees the fact table; the dimension comes from the same DuckDB connection
    return t.get_backend().table(table, database=schema)


def in_dim(column: str, dim: str, dim_column: str) -> Predicate:
    return lambda t: t[column].isnull() | t[column].isin(_ref(t, "core", dim)[dim_column])


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
        _types(
            S="order_line_key transaction_id customer_key customer_sk product_key store_key channel_key",
            I32="line_number date_key quantity quantity_ordered quantity_shipped",
            TS="transaction_at shipped_at delivered_at",
            DEC12="unit_price discount amount",
        ),
        key="order_line_key",
        not_null=_cols("order_line_key transaction_id line_number transaction_at product_key store_key"),
        rules=(
            Rule(
                "pandera:fct_order_lines:quantity_positive",
                ok=lambda t: t.quantity > 0,
                columns=("quantity",),
            ),
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
                "pandera:fct_order_lines:customer_sk_in_dim_customer",
                ok=in_dim("customer_sk", "dim_customer", "customer_sk"),
                columns=("customer_sk",),
            ),
            Rule(
                "pandera:fct_order_lines:product_key_in_dim_product",
                ok=in_dim("product_key", "dim_product", "product_key"),
                columns=("product_key",),
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
    _types(
        S="return_line_key transaction_id customer_sk product_key return_reason",
        I32="line_number quantity_returned",
        TS="returned_at",
        DEC12="unit_price refund_amount",
    ),
    key="return_line_key",
    not_null=_cols("return_line_key transaction_id line_number returned_at product_key"),
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
        Rule(
            "pandera:fct_returns:reason_accepted",
            ok=lambda t: t.return_reason.isin(RETURN_REASONS),
            columns=("return_reason",),
        ),
        Rule(
            "pandera:fct_returns:customer_sk_in_dim_customer",
            ok=in_dim("customer_sk", "dim_customer", "customer_sk"),
            columns=("customer_sk",),
        ),
        Rule(
            "pandera:fct_returns:product_key_in_dim_product",
            ok=in_dim("product_key", "dim_product", "product_key"),
            columns=("product_key",),
        ),
    ),
)

FCT_INTERACTIONS = TableSpec(
    "core",
    "fct_interactions",
    _types(
        S="interaction_id customer_sk",
        TS="started_at answered_at ended_at",
        I32="hold_seconds wrap_seconds csat nps",
    ),
    key="interaction_id",
    not_null=_cols("interaction_id started_at"),
    rules=(
        Rule(
            "pandera:fct_interactions:ended_after_started",
            ok=lambda t: t.ended_at >= t.started_at,
            columns=("started_at", "ended_at"),
        ),
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
        Rule(
            "pandera:fct_interactions:customer_sk_in_dim_customer",
            ok=in_dim("customer_sk", "dim_customer", "customer_sk"),
            columns=("customer_sk",),
        ),
    ),
)

DIM_CUSTOMER = TableSpec(
    "core",
    "dim_customer",
    _types(S="customer_sk customer_key", I32="version_number", D="valid_from valid_to", B="is_current"),
    key="customer_sk",
    not_null=_cols("customer_sk customer_key valid_from valid_to is_current"),
    rules=(
        # exactly one current version per customer is dbt's exactly_one_current_row test
        Rule(
            "pandera:dim_customer:valid_from_before_valid_to",
            ok=lambda t: t.valid_from < t.valid_to,
            columns=("customer_key", "valid_from", "valid_to"),
        ),
    ),
)

FCT_WEB_SESSIONS = TableSpec(
    "core",
    "fct_web_sessions",
    _types(
        S="session_id customer_key", TS="session_started_at session_ended_at", I32="duration_seconds events"
    ),
    key="session_id",
    not_null=_cols("session_id session_started_at session_ended_at"),
    rules=(
        Rule(
            "pandera:fct_web_sessions:ended_after_started",
            ok=lambda t: t.session_ended_at >= t.session_started_at,
            columns=("session_started_at", "session_ended_at"),
        ),
        # a session is at least one event; duration 0 for a single-event session
        Rule(
            "pandera:fct_web_sessions:events_and_duration",
            ok=lambda t: (t.events >= 1) & (t.duration_seconds >= 0),
            columns=("events", "duration_seconds"),
        ),
        Rule(
            "pandera:fct_web_sessions:customer_key_in_dim_customer",
            ok=in_dim("customer_key", "dim_customer", "customer_key"),
            columns=("customer_key",),
        ),
    ),
)

_COUNTS = ("touchpoints", "orders", "returns", "web_sessions", "interactions", "campaign_responses")
_VALUES = ("order_value", "return_value")
CUSTOMER_360 = TableSpec(
    "marts",
    "customer_360",
    {"customer_key": S, "customer_sk": S, **dict.fromkeys(_COUNTS, I32), **dict.fromkeys(_VALUES, DEC14)},
    key="customer_key",
    not_null=("customer_key", "customer_sk", *_COUNTS),
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
        Rule(
            "pandera:customer_360:customer_sk_in_dim_customer",
            ok=in_dim("customer_sk", "dim_customer", "customer_sk"),
            columns=("customer_sk",),
        ),
    ),
)


def specs(dist: DistributionSettings | None = None) -> dict[str, TableSpec]:
    """Every spec by schema.table, distribution rules calibrated by `dist` (default settings if None)."""
    order_lines = fct_order_lines_spec(dist or DistributionSettings())
    tables = (order_lines, FCT_RETURNS, FCT_INTERACTIONS, FCT_WEB_SESSIONS, DIM_CUSTOMER, CUSTOMER_360)
    return {s.qualified: s for s in tables}


SPECS: dict[str, TableSpec] = specs()  # with the default calibration: names, docs and tests
FCT_ORDER_LINES = SPECS["core.fct_order_lines"]
