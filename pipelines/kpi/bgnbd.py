"""BG/NBD model (Fader, Hardie & Lee 2005): likelihood, ML fit, predictions and a simulator.

Per customer: x repeat transactions, the last at t_x, observed for T time units since the first
purchase. Transactions while alive are Poisson(lambda), lambda ~ Gamma(r, alpha); after each
repeat transaction the customer drops out with probability p, p ~ Beta(a, b).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.special import betaln, expit, gammaln, hyp2f1

from pipelines.kpi.mle import MleFit, maximise

# The conditional expectation has a removable singularity at a = 1 ((a - 1) in a denominator and
# a vanishing bracket); evaluating at 1 + 1e-7 changes the result by O(1e-7).
_A_SINGULAR = 1e-7


class BgNbdParams(NamedTuple):
    r: float
    alpha: float
    a: float
    b: float


def _arrays(*values: object) -> list[np.ndarray]:
    return list(np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in values)))


def log_likelihood(params: BgNbdParams, x: object, t_x: object, T: object) -> np.ndarray:
    """Per-customer log-likelihood, FHL 2005 eq. (6), in logs throughout.

    L = A1 * B(a, b+x)/B(a, b) * [(alpha+T)^-(r+x) + [x>0] a/(b+x-1) (alpha+t_x)^-(r+x)], with
    A1 = Gamma(r+x) alpha^r / Gamma(r), using B(a+1, b+x-1) = B(a, b+x) a/(b+x-1); the bracket
    goes through log-sum-exp so neither term underflows for large x or T.
    """
    r, alpha, a, b = params
    x, t_x, T = _arrays(x, t_x, T)
    log_a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    log_beta = betaln(a, b + x) - betaln(a, b)
    term_alive = -(r + x) * np.log(alpha + T)
    repeat = x > 0
    safe_b = np.where(repeat, b + x - 1, 1.0)  # b + x - 1 < 0 is possible only when x = 0
    term_dropped = np.where(repeat, np.log(a) - np.log(safe_b) - (r + x) * np.log(alpha + t_x), -np.inf)
    return log_a1 + log_beta + np.logaddexp(term_alive, term_dropped)


def total_log_likelihood(params: BgNbdParams, x: object, t_x: object, T: object) -> float:
    return float(np.sum(log_likelihood(params, x, t_x, T)))


def fit(x: object, t_x: object, T: object) -> MleFit:
    """Maximum-likelihood estimate of (r, alpha, a, b); needs at least one repeat transaction."""
    x, t_x, T = _arrays(x, t_x, T)
    if not np.any(x > 0):
        raise ValueError("BG/NBD needs at least one repeat transaction to be identified")
    if np.any(t_x > T) or np.any(t_x < 0) or np.any((x == 0) & (t_x != 0)):
        raise ValueError("need 0 <= t_x <= T, and t_x = 0 when x = 0")
    # NBD without dropout: E[x] = r T / alpha, so alpha = r mean(T) / mean(x) puts the purchase
    # rate in the right range whatever the time unit.
    alpha0 = max(float(np.mean(T)) / float(np.mean(x)), 1e-3)
    starts = [(1.0, alpha0, 1.0, 1.0), (0.5, alpha0 / 2, 0.5, 2.0), (2.0, 2 * alpha0, 2.0, 5.0)]

    # Customers with the same (x, t_x, T) contribute the same term: with times in whole days
    # most do (1M customers: a few hundred thousand distinct rows), so the optimiser's hundreds
    # of evaluations run on the distinct rows, weighted by their counts.
    rows, counts = np.unique(np.stack([x, t_x, T], axis=1), axis=0, return_counts=True)
    ux, ut_x, uT = rows.T

    def loglik(p: np.ndarray) -> float:
        return float(np.dot(counts, log_likelihood(BgNbdParams(*p), ux, ut_x, uT)))

    return maximise(loglik, starts, BgNbdParams._fields, n=int(x.size))


def p_alive(params: BgNbdParams, x: object, t_x: object, T: object) -> np.ndarray:
    """P(alive at T | x, t_x, T) = 1 / (1 + [x>0] a/(b+x-1) ((alpha+T)/(alpha+t_x))^(r+x)).

    Always 1 when x = 0: in BG/NBD dropout can only happen right after a repeat transaction.
    """
    r, alpha, a, b = params
    x, t_x, T = _arrays(x, t_x, T)
    repeat = x > 0
    safe_b = np.where(repeat, b + x - 1, 1.0)
    log_odds_dead = np.log(a) - np.log(safe_b) + (r + x) * (np.log(alpha + T) - np.log(alpha + t_x))
    return np.where(repeat, expit(-log_odds_dead), 1.0)


def conditional_expected_transactions(
    params: BgNbdParams, t: object, x: object, t_x: object, T: object
) -> np.ndarray:
    """E[Y(t) | x, t_x, T]: expected transactions in (T, T+t], FHL 2005 eq. (10).

    eq. (10) = (a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)]
    * P(alive), z = t/(alpha+T+t). Euler's transformation 2F1(A,B;C;z) = (1-z)^(C-A-B)
    2F1(C-A, C-B; C; z) turns the bracket into 1 - (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z),
    whose series no longer has parameters growing with x (the direct form overflows for x in
    the hundreds, e.g. daily units).
    """
    r, alpha, a, b = params
    if abs(a - 1.0) < _A_SINGULAR:
        a = 1.0 + _A_SINGULAR
    t, x, t_x, T = _arrays(t, x, t_x, T)
    z = t / (alpha + T + t)
    hyp = hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z)
    bracket = 1.0 - np.exp((a - 1) * np.log1p(-z)) * hyp
    return (a + b + x - 1) / (a - 1) * bracket * p_alive(params, x, t_x, T)


def expected_transactions(params: BgNbdParams, t: object) -> np.ndarray:
    """Unconditional E[X(t)] for a customer t time units after the first purchase, FHL eq. (7).

    Equal to the conditional expectation of a customer observed for T = 0 (x = t_x = 0).
    """
    t = np.asarray(t, dtype=float)
    return conditional_expected_transactions(params, t, 0.0, 0.0, 0.0)


def simulate(params: BgNbdParams, T: object, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Draw (x, t_x) for customers observed T time units each, from the BG/NBD process.

    Without dropout the purchases in (0, T] are Poisson(lambda T) many, at uniform order
    statistics; the customer dies after repeat transaction J ~ Geometric(p) (J >= 1), so
    x = min(N, J) and t_x is the x-th of the N order statistics: T * Beta(x, N - x + 1).
    """
    r, alpha, a, b = params
    T = np.asarray(T, dtype=float)
    lam = rng.gamma(shape=r, scale=1.0 / alpha, size=T.shape)
    # p below 1e-12 means "never drops out" within any horizon; geometric() rejects p = 0.
    p = np.clip(rng.beta(a, b, size=T.shape), 1e-12, 1.0)
    n_poisson = rng.poisson(lam * T)
    dropout_at = rng.geometric(p)
    x = np.minimum(n_poisson, dropout_at)
    t_x = np.where(x > 0, T * rng.beta(np.maximum(x, 1), n_poisson - x + 1), 0.0)
    return x.astype(np.int64), t_x
