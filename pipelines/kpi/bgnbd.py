"""BG/NBD model (Fader, Hardie & Lee 2005): likelihood, ML fit, predictions and a simulator.

Per customer: x repeat transactions, the last at t_x, observed for T time units since the first
purchase. Transactions while alive are Poisson(lambda), lambda ~ Gamma(r, alpha); after each
repeat transaction the customer drops out with probability p, p ~ Beta(a, b).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.linalg import eigh_tridiagonal
from scipy.special import betaln, expit, gammaln, hyp2f1

from pipelines.kpi.mle import MleFit, distinct_rows, maximise

# The conditional expectation has a removable singularity at a = 1 ((a - 1) in a denominator and
# a vanishing bracket); evaluating at 1 + 1e-7 changes the result by O(1e-7).
_A_SINGULAR = 1e-7
# Gauss-Jacobi nodes for the quadrature path: it is taken only where hyp2f1 over- or underflows,
# i.e. for large a, where Beta(a, b+x) is narrow and 32 nodes reach ~1e-12 relative accuracy.
_QUAD_NODES = 32
# Elements (rows x times x nodes) per quadrature block: bounds memory at ~40 MB at any scale.
_QUAD_BLOCK = 5_000_000
# Penalty on log(a+b)^2 per customer: on the flat ridge a, b -> infinity (no heterogeneity in
# the dropout probability; 800 simulated customers: LL rises 0.17 from a = 1 to a = 1e5) it keeps
# the fit finite (a ~ 280); on CDNOW it moves b by 1e-4, a by 3e-5 and the LL by 1e-8.
PENALTY = 1e-7


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


def fit(x: object, t_x: object, T: object, counts: object | None = None) -> MleFit:
    """Maximum-likelihood estimate of (r, alpha, a, b), log(a+b) lightly penalised (PENALTY).

    One row per customer, or with `counts`, rows that stand for that many customers each (an engine's
    group by (x, t_x, T)): the estimate is the same. Needs at least one repeat transaction.
    """
    x, t_x, T = _arrays(x, t_x, T)
    if not np.any(x > 0):
        raise ValueError("BG/NBD needs at least one repeat transaction to be identified")
    if np.any(t_x > T) or np.any(t_x < 0) or np.any((x == 0) & (t_x != 0)):
        raise ValueError("need 0 <= t_x <= T, and t_x = 0 when x = 0")
    # Customers with the same (x, t_x, T) contribute the same term: with times in whole days
    # most do (1M customers: a few hundred thousand distinct rows), so the optimiser's hundreds
    # of evaluations run on the distinct rows, weighted by their counts.
    (ux, ut_x, uT), weights = distinct_rows(counts, x, t_x, T)
    # NBD without dropout: E[x] = r T / alpha, so alpha = r mean(T) / mean(x) puts the purchase
    # rate in the right range whatever the time unit.
    alpha0 = max(float(np.dot(weights, uT)) / float(np.dot(weights, ux)), 1e-3)
    starts = [(1.0, alpha0, 1.0, 1.0), (0.5, alpha0 / 2, 0.5, 2.0), (2.0, 2 * alpha0, 2.0, 5.0)]

    def loglik(p: np.ndarray) -> float:
        return float(np.dot(weights, log_likelihood(BgNbdParams(*p), ux, ut_x, uT)))

    def penalty(p: np.ndarray) -> float:
        return PENALTY * float(np.log(p[2] + p[3])) ** 2

    return maximise(loglik, starts, BgNbdParams._fields, n=int(round(weights.sum())), penalty=penalty)


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
    the hundreds, e.g. daily units). For large a (hundreds and up) (1-z)^(a-1) underflows and
    the 2F1 overflows (0 x inf = NaN); those entries come from the Beta integral instead
    (beta_integral_expectation), which is exact in the limit the 2F1 form breaks down in.
    """
    r, alpha, a, b = params
    if abs(a - 1.0) < _A_SINGULAR:
        a = 1.0 + _A_SINGULAR
    t, x, t_x, T = _arrays(t, x, t_x, T)
    z = t / (alpha + T + t)
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        hyp = hyp2f1(a + b - 1 - r, a - 1, a + b + x - 1, z)
        # in logs: (1-z)^(a-1) may underflow where the 2F1 is still finite (a < 1: 2F1 may be < 0)
        product = np.sign(hyp) * np.exp((a - 1) * np.log1p(-z) + np.log(np.abs(hyp)))
        value = (a + b + x - 1) / (a - 1) * (1.0 - product)
        broken = ~np.isfinite(value)
    if np.any(broken):
        value = np.where(broken, 0.0, value)
        value[broken] = beta_integral_expectation(params, t[broken], x[broken], T[broken])
    return value * p_alive(params, x, t_x, T)


def beta_integral_expectation(params: BgNbdParams, t: np.ndarray, x: np.ndarray, T: np.ndarray) -> np.ndarray:
    """E[Y(t) | alive at T] = E[(1 - (1 + p t/(alpha+T))^-(r+x)) / p], p ~ Beta(a, b+x).

    Alive at T, lambda ~ Gamma(r+x, alpha+T) and p ~ Beta(a, b+x) independently; a customer
    alive with (lambda, p) buys (1 - exp(-lambda p t)) / p times in t, and the Gamma's Laplace
    transform gives the integrand: bounded, smooth, free of the 2F1's cancellations. Gauss-Jacobi
    quadrature per distinct x, in blocks to bound memory.
    """
    r, alpha, a, b = params
    t, x, T = (np.asarray(v, dtype=float).reshape(-1) for v in (t, x, T))
    out = np.empty(t.size)
    for value in np.unique(x):
        rows = np.flatnonzero(x == value)
        p, w = beta_nodes(a, b + value, _QUAD_NODES)
        step = max(_QUAD_BLOCK // _QUAD_NODES, 1)
        for start in range(0, rows.size, step):
            block = rows[start : start + step]
            u = (t[block] / (alpha + T[block]))[:, None] * p[None, :]
            out[block] = (-np.expm1(-(r + value) * np.log1p(u)) / p[None, :]) @ w
    return out


def beta_nodes(a: float, c: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Nodes in (0, 1) and weights (summing to 1) of n-point Gauss quadrature for Beta(a, c).

    Golub-Welsch on the Jacobi matrix of the Jacobi polynomials P^(c-1, a-1), p = (1 + y) / 2;
    scipy's roots_jacobi overflows its weight normaliser for a + c above ~1e3, this does not.
    """
    al, be = c - 1.0, a - 1.0
    k = np.arange(1, n, dtype=float)
    s = 2 * k + al + be
    diag = np.empty(n)
    diag[0] = (be - al) / (al + be + 2)
    diag[1:] = (be - al) * (be + al) / (s * (s + 2))
    off2 = np.empty(n - 1)
    off2[0] = 4 * (1 + al) * (1 + be) / ((2 + al + be) ** 2 * (3 + al + be))
    kk, ss = k[1:], s[1:]
    off2[1:] = 4 * kk * (kk + al) * (kk + be) * (kk + al + be) / (ss**2 * (ss + 1) * (ss - 1))
    y, vectors = eigh_tridiagonal(diag, np.sqrt(off2))
    weights = vectors[0] ** 2
    return (1 + y) / 2, weights / weights.sum()


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
