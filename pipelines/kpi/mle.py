"""Maximum likelihood over positive parameters: multi-start optimisation on logs, standard errors."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

# exp(+-30) spans 1e-13..1e13: far beyond any plausible BG/NBD or Gamma-Gamma estimate, and it
# keeps the optimiser away from overflow in gammaln/log.
_LOG_BOUND = 30.0
# The optimiser needs finite values; a point where the likelihood underflows is just very bad.
_PENALTY = 1e300


@dataclass(frozen=True)
class MleFit:
    """A maximum-likelihood estimate with its log-likelihood and asymptotic standard errors."""

    names: tuple[str, ...]
    values: tuple[float, ...]
    log_likelihood: float
    n: int
    std_errors: tuple[float, ...]  # NaN where the observed information is not invertible
    converged: bool  # the optimiser reported success and no parameter sits at a search bound
    at_bound: bool = False  # some parameter ended at exp(+-_LOG_BOUND): the estimate is degenerate

    def as_dict(self) -> dict[str, float]:
        return dict(zip(self.names, self.values, strict=True))

    def __getitem__(self, name: str) -> float:
        return self.values[self.names.index(name)]


def distinct_rows(counts: object | None, *columns: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """The distinct rows of the columns, sorted, and how many observations each stands for.

    `counts` weighs each input row (None: one each). The result depends only on the multiset of
    rows, not their order or grouping: a fit on an engine's group-by equals the fit per customer.
    """
    stacked = np.column_stack([np.asarray(c, dtype=float) for c in columns])
    weights = np.ones(len(stacked)) if counts is None else np.asarray(counts, dtype=float).reshape(-1)
    unique, inverse = np.unique(stacked, axis=0, return_inverse=True)
    return list(unique.T), np.bincount(inverse.reshape(-1), weights=weights, minlength=len(unique))


def maximise(
    loglik: Callable[[np.ndarray], float],
    starts: Sequence[Sequence[float]],
    names: Sequence[str],
    n: int,
    penalty: Callable[[np.ndarray], float] | None = None,
) -> MleFit:
    """Maximise `loglik(params)` (params > 0) from each start; keep the best; add standard errors.

    L-BFGS-B on log-parameters finds the basin quickly; Nelder-Mead then polishes, because
    finite-difference gradients stop L-BFGS-B a few 1e-4 short on flat ridges such as a, b of
    BG/NBD. `penalty(params)` (per customer) is subtracted from the mean log-likelihood, as
    lifetimes' penalizer_coef; the reported log-likelihood is the unpenalised one.
    """

    def unpenalised(theta: np.ndarray) -> float:
        value = -loglik(np.exp(theta))
        return float(value) if np.isfinite(value) else _PENALTY

    def negll(theta: np.ndarray) -> float:
        value = unpenalised(theta)
        if penalty is None or value >= _PENALTY:
            return value
        return value + n * float(penalty(np.exp(theta)))

    # The optimisers see the mean over customers: Nelder-Mead's fatol is absolute, and on the
    # total of a million customers (|LL| ~ 1e7) a 1e-10 change is below rounding, so the polish
    # never stopped (5,000 iterations, no convergence: 11 min at 1M customers).
    scale = 1.0 / max(n, 1)

    def objective(theta: np.ndarray) -> float:
        value = negll(theta)
        return value * scale if value < _PENALTY else _PENALTY

    bounds = [(-_LOG_BOUND, _LOG_BOUND)] * len(names)
    best = None
    for start in starts:
        res = minimize(objective, np.log(np.asarray(start, dtype=float)), method="L-BFGS-B", bounds=bounds)
        if best is None or res.fun < best.fun:
            best = res
    assert best is not None, "at least one start is needed"
    polish = minimize(
        objective,
        best.x,
        method="Nelder-Mead",
        bounds=bounds,
        options={"xatol": 1e-9, "fatol": 1e-13, "maxiter": 5_000, "maxfev": 5_000},
    )
    final = polish if polish.fun <= best.fun else best
    theta = np.asarray(final.x, dtype=float)
    std_errors = _std_errors(negll, theta)
    at_bound = bool(np.any(np.abs(theta) >= _LOG_BOUND - 1e-6))
    return MleFit(
        names=tuple(names),
        values=tuple(float(v) for v in np.exp(theta)),
        log_likelihood=-unpenalised(theta),
        n=n,
        std_errors=tuple(float(s) for s in std_errors),
        converged=(bool(polish.success) or _stationary(objective, theta)) and not at_bound,
        at_bound=at_bound,
    )


def _stationary(objective: Callable[[np.ndarray], float], theta: np.ndarray, step: float = 1e-4) -> bool:
    """Central-difference gradient of the per-customer objective below 1e-6 in every log-parameter.

    Nelder-Mead can exhaust its evaluations creeping along a flat ridge (BG/NBD's a, b) at a point
    that is already optimal to far below any effect on predictions; that counts as converged.
    """
    eye = np.eye(theta.size) * step
    grad = [(objective(theta + e) - objective(theta - e)) / (2 * step) for e in eye]
    return bool(np.all(np.abs(grad) < 1e-6))


def _std_errors(negll: Callable[[np.ndarray], float], theta: np.ndarray) -> np.ndarray:
    """Delta-method standard errors of exp(theta) from the observed information on the log scale.

    At the optimum the gradient vanishes, so the inverse Hessian of -LL in log-parameters maps to
    the natural scale by J = diag(exp(theta)): Cov = J H^-1 J.
    """
    hess = numerical_hessian(negll, theta)
    try:
        cov_log = np.linalg.inv(hess)
    except np.linalg.LinAlgError:
        return np.full(theta.size, np.nan)
    var_log = np.diag(cov_log)
    with np.errstate(invalid="ignore"):
        return np.where(var_log > 0, np.exp(theta) * np.sqrt(var_log), np.nan)


def numerical_hessian(f: Callable[[np.ndarray], float], theta: np.ndarray, step: float = 1e-4) -> np.ndarray:
    """Central-difference Hessian; step 1e-4 on the log scale balances truncation and rounding error."""
    k = theta.size
    hess = np.empty((k, k))
    f0 = f(theta)
    eye = np.eye(k) * step
    for i in range(k):
        hess[i, i] = (f(theta + eye[i]) - 2 * f0 + f(theta - eye[i])) / step**2
        for j in range(i + 1, k):
            hess[i, j] = hess[j, i] = (
                f(theta + eye[i] + eye[j])
                - f(theta + eye[i] - eye[j])
                - f(theta - eye[i] + eye[j])
                + f(theta - eye[i] - eye[j])
            ) / (4 * step**2)
    return hess
