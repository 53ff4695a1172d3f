"""Two-proportion statistics of a treatment against a control cell: Wilson, Newcombe, z-test, Fisher.

Wilson (1927) score interval of one proportion k / n at normal quantile z:

    centre = (k + z^2 / 2) / (n + z^2),  half = z / (n + z^2) * sqrt(k (n - k) / n + z^2 / 4)

Newcombe (1998, method 10) interval of p1 - p2 from the two Wilson intervals (l_i, u_i):

    d - sqrt((p1 - l1)^2 + (u2 - p2)^2)  ..  d + sqrt((u1 - p1)^2 + (p2 - l2)^2)

Two-proportion z-test with the pooled rate p = (k1 + k2) / (n1 + n2):
z = (p1 - p2) / sqrt(p (1 - p) (1/n1 + 1/n2)), two-sided p-value 2 (1 - Phi(|z|)); Fisher's exact
test (two-sided, scipy) on the 2x2 table is reported beside it for small cells.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from scipy import stats


def z_quantile(confidence: float) -> float:
    """Two-sided normal quantile: 1.959964 for 95%."""
    return float(stats.norm.ppf(0.5 + confidence / 2.0))


def wilson_interval(k: int, n: int, z: float) -> tuple[float, float] | None:
    """Wilson score interval of k / n; None when n = 0."""
    if n <= 0:
        return None
    centre = (k + z * z / 2.0) / (n + z * z)
    half = z / (n + z * z) * math.sqrt(k * (n - k) / n + z * z / 4.0)
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe_interval(k1: int, n1: int, k2: int, n2: int, z: float) -> tuple[float, float] | None:
    """Newcombe's hybrid score interval of k1/n1 - k2/n2; None when a cell is empty."""
    first, second = wilson_interval(k1, n1, z), wilson_interval(k2, n2, z)
    if first is None or second is None:
        return None
    p1, p2 = k1 / n1, k2 / n2
    (l1, u1), (l2, u2) = first, second
    d = p1 - p2
    return d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def two_proportion_z_test(k1: int, n1: int, k2: int, n2: int) -> tuple[float, float] | None:
    """(z, two-sided p-value) of the pooled z-test; None when a cell is empty. p = 1 when both
    rates are 0 or both 1 (no variance, no evidence of a difference)."""
    if n1 <= 0 or n2 <= 0:
        return None
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2))
    if se == 0.0:
        return 0.0, 1.0
    z = (k1 / n1 - k2 / n2) / se
    return z, float(2.0 * stats.norm.sf(abs(z)))


def fisher_p_value(k1: int, n1: int, k2: int, n2: int) -> float | None:
    """Two-sided Fisher exact p-value of the 2x2 table; None when a cell is empty."""
    if n1 <= 0 or n2 <= 0:
        return None
    return float(stats.fisher_exact([[k1, n1 - k1], [k2, n2 - k2]]).pvalue)


def min_expected_count(k1: int, n1: int, k2: int, n2: int) -> float:
    """Smallest expected count of the 2x2 table under the pooled rate (the chi-square rule of 5)."""
    if n1 <= 0 or n2 <= 0:
        return 0.0
    pooled = (k1 + k2) / (n1 + n2)
    return min(n * share for n in (n1, n2) for share in (pooled, 1.0 - pooled))


@dataclass(frozen=True)
class Comparison:
    """Treatment against control for one outcome (response or conversion)."""

    treatment_rate: float | None
    control_rate: float | None
    difference: float | None
    difference_lower: float | None
    difference_upper: float | None
    lift: float | None
    z: float | None
    p_value: float | None
    p_value_fisher: float | None
    min_expected: float


def compare(k1: int, n1: int, k2: int, n2: int, confidence: float) -> Comparison:
    """Rates, difference with its Newcombe interval, lift and both p-values of k1/n1 against k2/n2."""
    p1 = k1 / n1 if n1 > 0 else None
    p2 = k2 / n2 if n2 > 0 else None
    interval = newcombe_interval(k1, n1, k2, n2, z_quantile(confidence))
    test = two_proportion_z_test(k1, n1, k2, n2)
    return Comparison(
        treatment_rate=p1,
        control_rate=p2,
        difference=None if p1 is None or p2 is None else p1 - p2,
        difference_lower=interval[0] if interval else None,
        difference_upper=interval[1] if interval else None,
        lift=p1 / p2 if p1 is not None and p2 else None,
        z=test[0] if test else None,
        p_value=test[1] if test else None,
        p_value_fisher=fisher_p_value(k1, n1, k2, n2),
        min_expected=min_expected_count(k1, n1, k2, n2),
    )
