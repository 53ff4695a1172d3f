"""BG/NBD and Gamma-Gamma: published CDNOW estimates, parameter recovery and hand-computed values."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from scipy.special import hyp2f1

from pipelines.kpi import bgnbd, gamma_gamma
from pipelines.kpi.bgnbd import BgNbdParams
from pipelines.kpi.clv_math import (
    customer_values,
    discounted_value,
    holdout_prediction,
    period_discount_rate,
)
from pipelines.kpi.gamma_gamma import GammaGammaParams
from pipelines.kpi.mle import MleFit

CDNOW = Path(__file__).parent / "fixtures" / "cdnow" / "cdnow_customers_summary_with_transactions.csv"
# Fader, Hardie & Lee (2005), section 5, CDNOW sample, 39-week calibration, weeks.
PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_BGNBD_LL = -9582.4
# Fader & Hardie (2013), "The Gamma-Gamma model of monetary value", same 946 repeat customers;
# CLVTools' correctness test uses the same estimates with LL -4055.9177 on its own copy of the data.
PUBLISHED_GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}
PUBLISHED_GG_LL = -4055.92


@pytest.fixture(scope="module")
def cdnow() -> np.ndarray:
    return np.genfromtxt(CDNOW, delimiter=",", names=True)


@pytest.fixture(scope="module")
def cdnow_bgnbd(cdnow: np.ndarray) -> MleFit:
    return bgnbd.fit(cdnow["x"], cdnow["t_x"], cdnow["T"])


def test_cdnow_sample_is_the_published_one(cdnow: np.ndarray) -> None:
    assert len(cdnow) == 2357
    assert int((cdnow["x"] > 0).sum()) == 946
    assert tuple(cdnow[0])[1:] == (2, 30.43, 38.86, 22.35)


def test_bgnbd_recovers_fader_hardie_lee_2005_estimates(cdnow_bgnbd: MleFit) -> None:
    # Published to 3 decimals: within half a unit of the last digit, plus 1e-4 of optimiser slack.
    for name, value in PUBLISHED_BGNBD.items():
        assert cdnow_bgnbd[name] == pytest.approx(value, abs=6e-4), name
    assert cdnow_bgnbd.log_likelihood == pytest.approx(PUBLISHED_BGNBD_LL, abs=0.05)
    assert cdnow_bgnbd.converged
    assert cdnow_bgnbd.n == 2357


def test_bgnbd_log_likelihood_at_published_estimates(cdnow: np.ndarray) -> None:
    ll = bgnbd.total_log_likelihood(BgNbdParams(**PUBLISHED_BGNBD), cdnow["x"], cdnow["t_x"], cdnow["T"])
    assert ll == pytest.approx(PUBLISHED_BGNBD_LL, abs=0.05)


def test_bgnbd_predictions_match_hardie_spreadsheet(cdnow_bgnbd: MleFit) -> None:
    params = BgNbdParams(*cdnow_bgnbd.values)
    # FHL 2005 / Hardie's Excel implementation: customer 0001 (x=2, t_x=30.43, T=38.86), 39 weeks ahead.
    assert float(bgnbd.conditional_expected_transactions(params, 39, 2, 30.43, 38.86)) == pytest.approx(
        1.226, abs=1e-3
    )
    # Unconditional E[X(t)] tabulated in the same spreadsheet (4 decimals).
    times = [0.1429, 1.0, 3.0, 31.8571, 32.0, 78.0]
    expected = [0.0078, 0.0532, 0.1506, 1.0405, 1.0437, 1.8576]
    np.testing.assert_allclose(bgnbd.expected_transactions(params, times), expected, atol=1e-3)


def test_gamma_gamma_recovers_fader_hardie_2013_estimates(cdnow: np.ndarray) -> None:
    repeat = cdnow["x"] > 0
    fit = gamma_gamma.fit(cdnow["x"][repeat], cdnow["zbar"][repeat])
    # Published to 2 decimals; the CSV's zbar is rounded to cents, which moves gamma by 0.008.
    for name, value in PUBLISHED_GG.items():
        assert fit[name] == pytest.approx(value, abs=0.01), name
    assert fit.log_likelihood == pytest.approx(PUBLISHED_GG_LL, abs=0.01)
    assert fit.n == 946


def test_euler_transformed_expectation_equals_the_direct_formula() -> None:
    r, alpha, a, b = params = BgNbdParams(0.243, 4.414, 0.793, 2.426)
    for x, t_x, T, t in [(2, 30.43, 38.86, 39.0), (10, 20.0, 30.0, 52.0), (0, 0.0, 10.0, 5.0)]:
        z = t / (alpha + T + t)
        bracket = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z)
        alive = 1 / (1 + (x > 0) * a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))
        direct = (a + b + x - 1) / (a - 1) * bracket * alive
        assert float(bgnbd.conditional_expected_transactions(params, t, x, t_x, T)) == pytest.approx(
            direct, rel=1e-10
        )


def test_simulator_matches_closed_form_moments() -> None:
    params = BgNbdParams(0.5, 5.0, 1.2, 3.0)
    rng = np.random.default_rng(7)
    T = np.full(200_000, 26.0)
    x, t_x = bgnbd.simulate(params, T, rng)
    se = x.std(ddof=1) / math.sqrt(x.size)
    assert abs(x.mean() - float(bgnbd.expected_transactions(params, 26.0))) < 4 * se
    # P(X(t) = 0) = (alpha / (alpha + t))^r: no repeat purchase, so no chance to drop out.
    p0 = (5.0 / 31.0) ** 0.5
    assert abs((x == 0).mean() - p0) < 4 * math.sqrt(p0 * (1 - p0) / x.size)
    assert np.all((t_x >= 0) & (t_x <= T)) and np.all(t_x[x == 0] == 0)


def _within_standard_errors(fit: MleFit, truth: tuple[float, ...], k: float = 3.0) -> None:
    for name, estimate, se, true in zip(fit.names, fit.values, fit.std_errors, truth, strict=True):
        assert math.isfinite(se) and se > 0, name
        assert abs(estimate - true) < k * se, f"{name}: {estimate:.4f} vs {true} (se {se:.4f})"


def test_bgnbd_parameter_recovery() -> None:
    # 10,000 customers acquired over 12 weeks, observed to week 39 (the CDNOW design). Asymptotic
    # standard errors from the observed information; 3 SE per parameter: over 40 seeded
    # replications with n=5,000 the estimates' empirical SD was within 10% of these SEs.
    truth = BgNbdParams(0.25, 4.0, 0.8, 2.5)
    rng = np.random.default_rng(20260101)
    T = 39.0 - rng.uniform(0.0, 12.0, size=10_000)
    x, t_x = bgnbd.simulate(truth, T, rng)
    fit = bgnbd.fit(x, t_x, T)
    assert fit.converged
    _within_standard_errors(fit, truth)


def test_gamma_gamma_parameter_recovery() -> None:
    truth = GammaGammaParams(6.0, 4.0, 15.0)
    rng = np.random.default_rng(20260102)
    x = rng.geometric(0.4, size=8_000).astype(float)
    zbar = gamma_gamma.simulate(truth, x, rng)
    fit = gamma_gamma.fit(x, zbar)
    assert fit.converged
    # p and gamma are skewed and strongly correlated: over 40 replications at n=8,000 the empirical
    # SD was 14-21% above the observed-information SE, so 4 SE (~3.3 empirical SD) is the bound.
    _within_standard_errors(fit, truth, k=4.0)


def test_bgnbd_hand_computed_likelihood() -> None:
    params = BgNbdParams(1.0, 1.0, 1.0, 1.0)
    # x=1, t_x=1, T=2: Gamma(2)/Gamma(1) * B(1,2)/B(1,1) * [3^-2 + 1/(1+1-1) * 2^-2] = 0.5 * 13/36
    # x=0, T=2: 1 * 1 * (1+2)^-1
    ll = bgnbd.log_likelihood(params, [1, 0], [1.0, 0.0], [2.0, 2.0])
    np.testing.assert_allclose(ll, [math.log(13 / 72), math.log(1 / 3)], rtol=1e-12)


def test_p_alive_hand_computed_and_one_without_repeat() -> None:
    params = BgNbdParams(1.0, 2.0, 1.0, 3.0)
    # 1 / (1 + a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)) = 1 / (1 + 1/4 (8/6)^3) = 27/43
    assert float(bgnbd.p_alive(params, 2, 4.0, 6.0)) == pytest.approx(27 / 43, rel=1e-12)
    np.testing.assert_array_equal(bgnbd.p_alive(params, [0, 0], [0.0, 0.0], [1.0, 500.0]), [1.0, 1.0])
    # the longer the silence since the last purchase, the lower P(alive)
    assert bgnbd.p_alive(params, 2, 1.0, 6.0) < bgnbd.p_alive(params, 2, 4.0, 6.0)


def test_gamma_gamma_hand_computed_values() -> None:
    # p=1, q=2, gamma=1, x=1, zbar=1: Gamma(3)/(Gamma(1)Gamma(2)) * 1 * 1 * 1 / 2^3 = 1/4
    ll = gamma_gamma.log_likelihood(GammaGammaParams(1.0, 2.0, 1.0), 1, 1.0)
    assert float(ll) == pytest.approx(math.log(0.25), rel=1e-12)
    params = GammaGammaParams(2.0, 3.0, 10.0)
    # p (gamma + x zbar) / (p x + q - 1): 2 * (10 + 40) / (4 + 2); x = 0 gives p gamma / (q-1) = 10
    spend = gamma_gamma.conditional_expected_spend(params, [2, 0], [20.0, 0.0])
    np.testing.assert_allclose(spend, [100 / 6, 10.0], rtol=1e-12)
    with pytest.raises(ValueError, match="q <= 1"):
        gamma_gamma.conditional_expected_spend(GammaGammaParams(2.0, 0.9, 10.0), 1, 5.0)


def test_discounting_arithmetic() -> None:
    assert period_discount_rate(0.10, "weeks") == pytest.approx(1.1 ** (7 / 365.25) - 1, rel=1e-12)
    assert (1 + period_discount_rate(0.10, "days")) ** 365.25 == pytest.approx(1.10, rel=1e-12)
    # 1 transaction in period 1 and 2 in period 2 at spend 10, 10% per period: 10/1.1 + 20/1.21
    value = discounted_value(np.array([[1.0, 2.0]]), np.array([10.0]), 0.10)
    assert float(value[0]) == pytest.approx(25.619834710743802, rel=1e-12)


def test_undiscounted_clv_is_spend_times_expected_transactions() -> None:
    params = BgNbdParams(0.243, 4.414, 0.793, 2.426)
    x, t_x, T = np.array([0.0, 2.0, 7.0]), np.array([0.0, 30.43, 29.43]), np.array([38.86] * 3)
    spend = np.array([30.0, 22.0, 70.0])
    undiscounted = customer_values(params, x, t_x, T, spend, horizon=52, period_rate=0.0)
    np.testing.assert_allclose(undiscounted["clv"], spend * undiscounted["expected_transactions"], rtol=1e-10)
    np.testing.assert_allclose(
        undiscounted["expected_transactions"],
        bgnbd.conditional_expected_transactions(params, 52, x, t_x, T),
        rtol=1e-12,
    )
    discounted = customer_values(params, x, t_x, T, spend, horizon=52, period_rate=0.01)
    assert np.all(discounted["clv"] < undiscounted["clv"])
    assert discounted["p_alive"][0] == 1.0


def test_holdout_prediction_sums_unconditional_increments() -> None:
    params = BgNbdParams(0.5, 5.0, 1.2, 3.0)
    T = np.array([10.0, 10.0, 3.0])
    prediction = holdout_prediction(params, np.zeros(3), np.zeros(3), T, span=2.5)
    assert len(prediction.unconditional) == 3  # two whole weeks and a half one
    e = lambda t: float(bgnbd.expected_transactions(params, t))  # noqa: E731
    expected_last = 2 * (e(12.5) - e(12.0)) + (e(5.5) - e(5.0))
    assert prediction.unconditional[2] == pytest.approx(expected_last, rel=1e-10)
    assert prediction.unconditional.sum() == pytest.approx(2 * (e(12.5) - e(10)) + e(5.5) - e(3), rel=1e-10)


def test_bgnbd_fit_on_distinct_rows_is_the_likelihood_of_every_customer() -> None:
    # Times in whole days, as the warehouse gives them: many customers share (x, t_x, T), and the
    # fit evaluates each distinct row once, weighted by its count.
    rng = np.random.default_rng(20260103)
    T = np.floor(rng.uniform(0.0, 273.0, size=5_000)) / 7.0
    x, t_x = bgnbd.simulate(BgNbdParams(0.25, 4.0, 0.8, 2.5), T, rng)
    t_x = np.floor(t_x * 7.0) / 7.0
    assert len(np.unique(np.stack([x, t_x, T], axis=1), axis=0)) < x.size / 2
    fit = bgnbd.fit(x, t_x, T)
    assert fit.converged and fit.n == x.size
    per_customer = bgnbd.total_log_likelihood(BgNbdParams(*fit.values), x, t_x, T)
    assert fit.log_likelihood == pytest.approx(per_customer, rel=1e-12)
