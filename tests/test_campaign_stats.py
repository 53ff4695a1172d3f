"""Campaign lift's two-proportion statistics against statsmodels, scipy and Newcombe's (1998) tables."""

from __future__ import annotations

import pytest
from scipy import stats
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportions_ztest,
)

from pipelines.kpi.campaign_stats import (
    compare,
    fisher_p_value,
    min_expected_count,
    newcombe_interval,
    two_proportion_z_test,
    wilson_interval,
    z_quantile,
)

Z95 = z_quantile(0.95)
CASES = [(56, 70, 48, 80), (9, 10, 3, 10), (6, 7, 2, 7), (5, 56, 0, 29), (40, 400, 2, 60), (0, 10, 0, 20)]


def test_z_quantile() -> None:
    assert z_quantile(0.95) == pytest.approx(1.959964, abs=1e-6)
    assert z_quantile(0.90) == pytest.approx(1.644854, abs=1e-6)


@pytest.mark.parametrize(("k", "n"), [(0, 10), (1, 10), (81, 263), (15, 148), (10, 10), (3, 7)])
def test_wilson_matches_statsmodels(k: int, n: int) -> None:
    expected = proportion_confint(k, n, alpha=0.05, method="wilson")
    assert wilson_interval(k, n, Z95) == pytest.approx(expected, abs=1e-10)


def test_wilson_textbook_values() -> None:
    # Newcombe (1998a), Table I: 81/263 -> 0.2553 to 0.3662; 15/148 -> 0.0624 to 0.1605.
    assert wilson_interval(81, 263, Z95) == pytest.approx((0.2553, 0.3662), abs=5e-5)
    assert wilson_interval(15, 148, Z95) == pytest.approx((0.0624, 0.1605), abs=5e-5)
    assert wilson_interval(1, 0, Z95) is None


@pytest.mark.parametrize(("k1", "n1", "k2", "n2"), CASES)
def test_newcombe_matches_statsmodels(k1: int, n1: int, k2: int, n2: int) -> None:
    expected = confint_proportions_2indep(k1, n1, k2, n2, method="newcomb", compare="diff", alpha=0.05)
    assert newcombe_interval(k1, n1, k2, n2, Z95) == pytest.approx(expected, abs=1e-10)


def test_newcombe_textbook_values() -> None:
    # Newcombe (1998b), Table II, method 10: 56/70 - 48/80 -> +0.0524 to +0.3339; 9/10 - 3/10 ->
    # +0.1705 to +0.8090.
    assert newcombe_interval(56, 70, 48, 80, Z95) == pytest.approx((0.0524, 0.3339), abs=5e-5)
    assert newcombe_interval(9, 10, 3, 10, Z95) == pytest.approx((0.1705, 0.8090), abs=5e-5)
    assert newcombe_interval(1, 10, 0, 0, Z95) is None


@pytest.mark.parametrize(("k1", "n1", "k2", "n2"), CASES[:-1])
def test_z_test_matches_statsmodels(k1: int, n1: int, k2: int, n2: int) -> None:
    z, p = proportions_ztest([k1, k2], [n1, n2])
    assert two_proportion_z_test(k1, n1, k2, n2) == pytest.approx((z, p), abs=1e-10)


def test_z_test_without_variance_and_empty_cells() -> None:
    assert two_proportion_z_test(0, 10, 0, 20) == (0.0, 1.0)
    assert two_proportion_z_test(3, 10, 0, 0) is None


@pytest.mark.parametrize(("k1", "n1", "k2", "n2"), CASES)
def test_fisher_matches_scipy(k1: int, n1: int, k2: int, n2: int) -> None:
    expected = stats.fisher_exact([[k1, n1 - k1], [k2, n2 - k2]]).pvalue
    assert fisher_p_value(k1, n1, k2, n2) == pytest.approx(expected, rel=1e-12)
    # Fisher's tea-tasting: 3 of 4 right in each half -> one-sided p = 17/70; two-sided 0.4857
    assert fisher_p_value(3, 4, 1, 4) == pytest.approx(34 / 70, abs=1e-12)


def test_min_expected_count_is_the_smallest_cell_under_the_pooled_rate() -> None:
    # pooled 10 / 100 = 0.1: expected control responders 20 x 0.1 = 2
    assert min_expected_count(8, 80, 2, 20) == pytest.approx(2.0)
    assert min_expected_count(1, 0, 0, 5) == 0.0


def test_compare_combines_them() -> None:
    result = compare(56, 70, 48, 80, 0.95)
    assert result.treatment_rate == pytest.approx(0.8) and result.control_rate == pytest.approx(0.6)
    assert result.difference == pytest.approx(0.2)
    assert result.lift == pytest.approx(0.8 / 0.6)
    assert (result.difference_lower, result.difference_upper) == pytest.approx((0.0524, 0.3339), abs=5e-5)
    assert result.p_value == pytest.approx(proportions_ztest([56, 48], [70, 80])[1])
    assert compare(3, 10, 0, 5, 0.95).lift is None  # control rate 0
