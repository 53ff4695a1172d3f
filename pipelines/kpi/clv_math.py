"""Per-customer CLV and holdout predictions from fitted BG/NBD and Gamma-Gamma parameters (pure numpy).

CLV of a customer over a horizon of H periods (time units, weeks by default):

    CLV = E[Z | x, zbar] * sum_{k=1..H} (E[Y(k) | x, t_x, T] - E[Y(k-1) | x, t_x, T]) / (1 + d)^k

E[Y(k) | ...] is BG/NBD's expected number of transactions in the first k periods after the
calibration end, E[Z | ...] Gamma-Gamma's expected spend per transaction, and d the discount rate
per period, d = (1 + annual rate)^(days per period / 365.25) - 1; each period's transactions are
discounted from its end. Spend and transactions are multiplied, which Gamma-Gamma's assumption of
spend independent of frequency allows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.kpi import bgnbd
from pipelines.kpi.bgnbd import BgNbdParams
from pipelines.kpi.mle import distinct_rows

DAYS_PER_UNIT = {"weeks": 7, "days": 1}
DAYS_PER_YEAR = 365.25


def unit_days(time_unit: str) -> int:
    if time_unit not in DAYS_PER_UNIT:
        raise ValueError(f"time unit must be one of {sorted(DAYS_PER_UNIT)}, not {time_unit!r}")
    return DAYS_PER_UNIT[time_unit]


def period_discount_rate(annual_rate: float, time_unit: str) -> float:
    """Compound-equivalent rate per time unit: 10% a year is 0.1829% a week."""
    return (1.0 + annual_rate) ** (unit_days(time_unit) / DAYS_PER_YEAR) - 1.0


def discounted_value(increments: np.ndarray, spend: np.ndarray, period_rate: float) -> np.ndarray:
    """sum_k increments[:, k-1] * spend / (1 + d)^k: expected transactions in period k times spend."""
    increments = np.atleast_2d(np.asarray(increments, dtype=float))
    factors = (1.0 + period_rate) ** -np.arange(1, increments.shape[1] + 1)
    # a sum per row, not a matrix product: BLAS rounds a row differently by the rows beside it, and a
    # customer's value must not depend on which customers share its batch (Spark's partitions)
    return (increments * factors).sum(axis=1) * np.asarray(spend, dtype=float)


def _unique_rows(*columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (x, t_x, T) rows and the inverse index: customers on whole days share many rows."""
    stacked = np.column_stack([np.asarray(c, dtype=float) for c in columns])
    unique, inverse = np.unique(stacked, axis=0, return_inverse=True)
    return unique, inverse.reshape(-1)


def cumulative_conditional(
    params: BgNbdParams, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, horizon: int
) -> np.ndarray:
    """E[Y(k) | x, t_x, T] for k = 0..horizon, shape (customers, horizon + 1)."""
    unique, inverse = _unique_rows(x, t_x, T)
    ks = np.arange(horizon + 1, dtype=float)
    cumulative = bgnbd.conditional_expected_transactions(
        params, ks[None, :], unique[:, :1], unique[:, 1:2], unique[:, 2:3]
    )
    return cumulative[inverse]


def customer_values(
    params: BgNbdParams,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    expected_spend: np.ndarray,
    horizon: int,
    period_rate: float,
) -> dict[str, np.ndarray]:
    """expected_transactions over the horizon, p_alive and discounted clv per customer."""
    cumulative = cumulative_conditional(params, x, t_x, T, horizon)
    return {
        "expected_transactions": cumulative[:, -1],
        "p_alive": bgnbd.p_alive(params, x, t_x, T),
        "clv": discounted_value(np.diff(cumulative, axis=1), expected_spend, period_rate),
    }


@dataclass(frozen=True)
class HoldoutPrediction:
    """Predicted repeat transactions per holdout period (index k covers time (k-1, min(k, span)])."""

    unconditional: np.ndarray  # sum_i E[X(T_i + end_k)] - E[X(T_i + k - 1)], FHL 2005 Figure 2
    conditional_total: float  # sum_i E[Y(span) | x_i, t_x_i, T_i]: the forecast CLV relies on


def holdout_prediction(
    params: BgNbdParams,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    span: float,
    counts: np.ndarray | None = None,
) -> HoldoutPrediction:
    """Predictions for a holdout of `span` time units after the calibration end (last period may be partial).

    Rows are customers, or with `counts`, (x, t_x, T) rows standing for that many customers each.
    The per-period series uses the unconditional E[X(t)] at each customer's age, as FHL's
    tracking plot does: it tests the fitted population model, not each customer's history.
    """
    periods = int(np.ceil(span)) if span > 0 else 0
    if periods == 0 or len(T) == 0:
        return HoldoutPrediction(np.zeros(periods), 0.0)
    (ages,), age_counts = distinct_rows(counts, T)
    (ux, ut_x, uT), weights = distinct_rows(counts, x, t_x, T)
    edges = np.minimum(np.arange(periods + 1, dtype=float), span)
    cumulative = bgnbd.expected_transactions(params, ages[:, None] + edges[None, :])
    per_period = age_counts @ np.diff(cumulative, axis=1)
    conditional = bgnbd.conditional_expected_transactions(params, span, ux, ut_x, uT)
    return HoldoutPrediction(per_period, float(np.dot(weights, conditional)))
