"""CLV that never fails silently: BG/NBD at extreme parameters, the historical-rate fallback, the check."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import duckdb
import numpy as np
import pytest
from scipy import integrate, stats
from scipy.special import hyp2f1

from pipelines.defs.checks.clv import clv_missing_result
from pipelines.kpi import bgnbd, clv_fallback, gamma_gamma
from pipelines.kpi.bgnbd import BgNbdParams
from pipelines.kpi.clv_fallback import (
    BGNBD_GAMMA_GAMMA,
    BGNBD_OBSERVED_SPEND,
    HISTORICAL_RATE,
    historical_values,
    price_customers,
    untrusted_reasons,
)
from pipelines.kpi.clv_math import period_discount_rate
from pipelines.kpi.mle import maximise
from pipelines.kpi.settings import KpiSettings

SIM800 = Path(__file__).parent / "fixtures" / "clv_sim800" / "summary.csv"
# Where the unpenalised fit on SIM800 stopped (issue 17): 2F1 form gave NaN for every customer.
DEGENERATE = BgNbdParams(0.7025, 8.202, 5.9e5, 3.8e6)
CASES = [(0, 0.0, 10.0), (1, 5.0, 20.0), (5, 20.0, 26.0), (30, 25.0, 26.0), (200, 180.0, 200.0)]


def _reference(params: BgNbdParams, t: float, x: float, t_x: float, T: float) -> float:
    """E[Y(t)] by adaptive quadrature of (1 - (1 + p u)^-(r+x)) / p over the Beta(a, b+x) density."""
    r, alpha, a, b = params
    beta = stats.beta(a, b + x)
    mean, sd = beta.mean(), beta.std()

    def integrand(p: float) -> float:
        return -math.expm1(-(r + x) * math.log1p(p * t / (alpha + T))) / p * beta.pdf(p)

    lo, hi = max(mean - 15 * sd, 0.0), min(mean + 15 * sd, 1.0)
    value = integrate.quad(integrand, lo, hi, epsabs=0, epsrel=1e-13, limit=200)[0]
    return value * float(bgnbd.p_alive(params, x, t_x, T))


@pytest.fixture(scope="module")
def sim800() -> dict[str, np.ndarray]:
    data = np.genfromtxt(SIM800, delimiter=",", names=True)
    return {"x": data["x"], "t_x": data["t_x_days"] / 7, "T": data["T_days"] / 7, "zbar": data["zbar"]}


def test_direct_2f1_form_breaks_down_at_the_degenerate_fit() -> None:
    r, alpha, a, b = DEGENERATE
    z = 52 / (alpha + 26 + 52)
    with np.errstate(all="ignore"):
        product = (1 - z) ** (a - 1) * hyp2f1(a + b - 1 - r, a - 1, a + b + 5 - 1, z)
    assert not math.isfinite(product)  # 0 x inf: what made every CLV NaN


@pytest.mark.parametrize(("x", "t_x", "T"), CASES)
def test_expectation_at_extreme_parameters_matches_quadrature_and_limit(x: int, t_x: float, T: float) -> None:
    value = float(bgnbd.conditional_expected_transactions(DEGENERATE, 52, x, t_x, T))
    assert math.isfinite(value) and value > 0
    assert value == pytest.approx(_reference(DEGENERATE, 52, x, t_x, T), rel=1e-10)
    # a, b -> infinity with p = a/(a+b+x) fixed: E = P(alive) (1 - (1 + p u)^-(r+x)) / p
    r, alpha, a, b = DEGENERATE
    p, u = a / (a + b + x), 52 / (alpha + T)
    limit = (1 - (1 + p * u) ** -(r + x)) / p * float(bgnbd.p_alive(DEGENERATE, x, t_x, T))
    assert value == pytest.approx(limit, rel=1e-5)


def test_beta_integral_equals_2f1_form_where_both_hold() -> None:
    params = BgNbdParams(0.5, 5.0, 40.0, 260.0)
    x, T = np.array([0.0, 1, 5, 30]), np.array([10.0, 20, 26, 26])
    for t in (1.0, 13.0, 52.0):
        direct = bgnbd.conditional_expected_transactions(params, t, x, np.zeros(4), T)
        alive = bgnbd.p_alive(params, x, np.zeros(4), T)
        via_beta = bgnbd.beta_integral_expectation(params, np.full(4, t), x, T) * alive
        np.testing.assert_allclose(via_beta, direct, rtol=1e-9)


@pytest.mark.parametrize(("a", "c"), [(0.793, 2.426), (40.0, 260.0), (5.9e5, 3.8e6), (0.3, 1e5)])
def test_beta_nodes_reproduce_beta_moments(a: float, c: float) -> None:
    p, w = bgnbd.beta_nodes(a, c, 32)
    assert np.all((p > 0) & (p < 1)) and w.sum() == pytest.approx(1.0, rel=1e-12)
    mean = a / (a + c)
    assert w @ p == pytest.approx(mean, rel=1e-10)
    assert w @ (p - mean) ** 2 == pytest.approx(a * c / ((a + c) ** 2 * (a + c + 1)), rel=1e-8)


def test_fit_on_the_ridge_population_is_finite_and_prices_every_repeat_customer(
    sim800: dict[str, np.ndarray],
) -> None:
    x, t_x, T, zbar = sim800["x"], sim800["t_x"], sim800["T"], sim800["zbar"]
    assert len(x) == 285 and int((x > 0).sum()) == 104
    fit = bgnbd.fit(x, t_x, T)
    assert fit.converged and not fit.at_bound
    assert fit["a"] < 1e4 and fit["a"] / (fit["a"] + fit["b"]) == pytest.approx(0.134, abs=0.01)
    # the penalty costs almost no likelihood: the limit a, b -> infinity has LL -665.4740
    assert fit.log_likelihood > -665.48
    gg = gamma_gamma.fit(x[x > 0], zbar[x > 0])
    pricing = price_customers(fit, gg, x, t_x, T, zbar, KpiSettings())
    assert pricing.reasons == [] and pricing.model_counts() == {BGNBD_GAMMA_GAMMA: 285}
    assert np.all(np.isfinite(pricing.values["clv"])) and np.all(pricing.values["clv"] >= 0)
    # the unpenalised degenerate fit gives finite values too, close to the penalised ones
    far = price_customers(replace(fit, values=tuple(DEGENERATE)), gg, x, t_x, T, zbar, KpiSettings())
    assert np.all(np.isfinite(far.values["clv"]))
    np.testing.assert_allclose(far.values["clv"], pricing.values["clv"], rtol=0.05, atol=1.0)


def test_maximise_flags_a_parameter_at_the_bound() -> None:
    # increasing in the second parameter without limit: the optimiser ends at exp(30)
    fit = maximise(lambda p: -((np.log(p[0]) - 1) ** 2) + np.log(p[1]), [(1.0, 1.0)], ("u", "v"), n=1)
    assert fit.at_bound and not fit.converged
    assert untrusted_reasons(fit, 100, 10)[0].startswith("bgnbd parameter at the bound")


def test_untrusted_fit_falls_back_to_the_historical_rate(sim800: dict[str, np.ndarray]) -> None:
    x, t_x, T, zbar = sim800["x"], sim800["t_x"], sim800["T"], sim800["zbar"]
    fit = bgnbd.fit(x, t_x, T)
    settings = KpiSettings(clv_min_repeat_customers=105)  # one more than there are
    pricing = price_customers(fit, None, x, t_x, T, zbar, settings)
    assert pricing.reasons == ["104 customers with a repeat purchase, fewer than the 105 required"]
    assert pricing.model_counts() == {HISTORICAL_RATE: 285}
    assert any("historical_rate" in w for w in pricing.warnings)
    # hand-computed: x / T repeat purchases per week for 52 weeks at the customer's mean spend
    d = period_discount_rate(0.10, "weeks")
    annuity = sum((1 + d) ** -k for k in range(1, 53))
    i = int(np.argmax(x))
    assert pricing.values["clv"][i] == pytest.approx(zbar[i] * x[i] / T[i] * annuity, rel=1e-12)
    assert pricing.values["expected_transactions"][i] == pytest.approx(x[i] / T[i] * 52, rel=1e-12)
    assert np.all(pricing.values["clv"][x == 0] == 0) and np.all(np.isnan(pricing.values["p_alive"]))


def test_single_non_finite_predictions_fall_back_per_customer(
    sim800: dict[str, np.ndarray], monkeypatch: pytest.MonkeyPatch
) -> None:
    x, t_x, T, zbar = sim800["x"], sim800["t_x"], sim800["T"], sim800["zbar"]
    fit = bgnbd.fit(x, t_x, T)
    real = clv_fallback.customer_values

    def one_broken(*args: object, **kwargs: object) -> dict[str, np.ndarray]:
        values = real(*args, **kwargs)
        values["clv"][1] = np.nan  # customer 1 has a repeat purchase
        return values

    monkeypatch.setattr(clv_fallback, "customer_values", one_broken)
    pricing = price_customers(fit, None, x, t_x, T, zbar, KpiSettings())
    models = pricing.values["clv_model"]
    assert models[1] == HISTORICAL_RATE and list(models).count(HISTORICAL_RATE) == 1
    assert set(models) == {BGNBD_OBSERVED_SPEND, HISTORICAL_RATE}  # no Gamma-Gamma fit given
    assert pricing.reasons == ["bgnbd prediction not finite for 1 customers"]
    assert np.all(np.isfinite(pricing.values["clv"]))
    history = historical_values(x, T, zbar, 52, period_discount_rate(0.10, "weeks"))
    assert pricing.values["clv"][1] == history["clv"][1] and np.isnan(pricing.values["p_alive"][1])


def test_historical_values_without_age_are_zero() -> None:
    values = historical_values(np.array([0.0]), np.array([0.0]), np.array([0.0]), 52, 0.0)
    assert values["clv"][0] == 0 and values["expected_transactions"][0] == 0


def _clv_table(con: duckdb.DuckDBPyConnection, rows: list[tuple[str, int, float | None]]) -> None:
    con.execute("create schema if not exists marts")
    con.execute(
        "create or replace table marts.customer_clv"
        " (customer_key varchar, frequency integer, clv double, clv_model varchar)"
    )
    con.executemany("insert into marts.customer_clv values (?, ?, ?, 'historical_rate')", rows)


def test_check_fails_when_too_many_repeat_customers_lack_a_clv(con: duckdb.DuckDBPyConnection) -> None:
    # 4 repeat customers, one NULL and one NaN; non-repeaters never count
    rows = [("A", 2, 10.0), ("B", 1, None), ("C", 3, float("nan")), ("D", 1, 5.0), ("E", 0, None)]
    _clv_table(con, rows)
    failed = clv_missing_result(con, 0.0)
    assert not failed.passed and failed.severity == "error" and failed.failing_rows == 2
    assert [r["customer_key"] for r in failed.sample["rows"]] == ["B", "C"]
    assert not clv_missing_result(con, 0.49).passed
    assert clv_missing_result(con, 0.5).passed  # exactly the share allowed
    _clv_table(con, [("A", 2, 10.0), ("E", 0, None)])
    assert clv_missing_result(con, 0.0).passed
    con.execute("drop table marts.customer_clv")
    assert not clv_missing_result(con, 0.0).passed


def test_check_is_blocking_on_customer_clv_and_registered() -> None:
    import dagster as dg

    from pipelines.defs.checks import all_checks, clv_missing_check

    [spec] = clv_missing_check.check_specs
    assert spec.blocking and spec.asset_key == dg.AssetKey(["marts", "customer_clv"])
    assert clv_missing_check in all_checks
