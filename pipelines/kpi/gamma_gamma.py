"""Gamma-Gamma spend model (Fader & Hardie 2013; Colombo & Jiang 1999): ML fit, expected spend, simulator.

Each transaction of a customer is Gamma(p, nu) (rate nu), nu ~ Gamma(q, gamma) across
customers; the mean zbar of x transactions is then Gamma(p x, x nu). Fitted on customers with
x >= 1 repeat transactions and their mean repeat spend, assumed independent of frequency.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.special import gammaln

from pipelines.kpi.mle import MleFit, distinct_rows, maximise


class GammaGammaParams(NamedTuple):
    p: float
    q: float
    gamma: float


def _arrays(*values: object) -> list[np.ndarray]:
    return list(np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in values)))


def log_likelihood(params: GammaGammaParams, x: object, zbar: object) -> np.ndarray:
    """Per-customer log density of the mean spend zbar of x transactions (Fader & Hardie 2013, eq. 4).

    f(zbar | x) = Gamma(px+q) / (Gamma(px) Gamma(q)) gamma^q zbar^(px-1) x^(px) / (gamma + x zbar)^(px+q)
    """
    p, q, gamma = params
    x, zbar = _arrays(x, zbar)
    px = p * x
    return (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(gamma)
        + (px - 1) * np.log(zbar)
        + px * np.log(x)
        - (px + q) * np.log(gamma + x * zbar)
    )


def total_log_likelihood(params: GammaGammaParams, x: object, zbar: object) -> float:
    return float(np.sum(log_likelihood(params, x, zbar)))


def fit(x: object, zbar: object, counts: object | None = None) -> MleFit:
    """Maximum-likelihood estimate of (p, q, gamma) from customers with x >= 1 and zbar > 0
    (with `counts`: rows standing for that many customers each)."""
    x, zbar = _arrays(x, zbar)
    if x.size == 0 or np.any(x < 1) or np.any(zbar <= 0):
        raise ValueError("Gamma-Gamma needs customers with x >= 1 and mean spend zbar > 0")
    (ux, uz), weights = distinct_rows(counts, x, zbar)
    # E[zbar] = p gamma / (q - 1): each start puts the population mean spend where the data has it.
    mean = float(np.dot(weights, uz)) / float(weights.sum())
    starts = [(p0, q0, mean * (q0 - 1) / p0) for p0, q0 in ((1.0, 2.0), (5.0, 5.0), (0.5, 10.0))]

    def loglik(v: np.ndarray) -> float:
        return float(np.dot(weights, log_likelihood(GammaGammaParams(*v), ux, uz)))

    return maximise(loglik, starts, GammaGammaParams._fields, n=int(round(weights.sum())))


def conditional_expected_spend(params: GammaGammaParams, x: object, zbar: object) -> np.ndarray:
    """E[Z | x, zbar] = p (gamma + x zbar) / (p x + q - 1), Fader & Hardie 2013 eq. (5).

    A weighted mean of the population mean p gamma / (q-1) and the customer's own zbar, with
    weight p x / (p x + q - 1) on zbar; x = 0 gives the population mean. Finite only for q > 1.
    """
    p, q, gamma = params
    if q <= 1:
        raise ValueError(f"the Gamma-Gamma mean spend is infinite for q <= 1 (q = {q:.4g})")
    x, zbar = _arrays(x, zbar)
    return p * (gamma + x * zbar) / (p * x + q - 1)


def population_mean_spend(params: GammaGammaParams) -> float:
    p, q, gamma = params
    return p * gamma / (q - 1) if q > 1 else float("inf")


def simulate(params: GammaGammaParams, x: object, rng: np.random.Generator) -> np.ndarray:
    """Mean spend zbar of x >= 1 transactions per customer: nu ~ Gamma(q, gamma), zbar ~ Gamma(p x, x nu)."""
    p, q, gamma = params
    x = np.asarray(x, dtype=float)
    if np.any(x < 1):
        raise ValueError("simulate mean spend only for customers with x >= 1")
    nu = rng.gamma(shape=q, scale=1.0 / gamma, size=x.shape)
    return rng.gamma(shape=p * x, scale=1.0 / (x * nu))
