"""When BG/NBD cannot be trusted: the reasons, and the named historical-rate CLV that replaces it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from pipelines.kpi import gamma_gamma
from pipelines.kpi.bgnbd import BgNbdParams
from pipelines.kpi.clv_math import customer_values, period_discount_rate
from pipelines.kpi.gamma_gamma import GammaGammaParams
from pipelines.kpi.mle import MleFit
from pipelines.kpi.settings import KpiSettings

# marts.customer_clv.clv_model: which estimate produced a row.
BGNBD_GAMMA_GAMMA = "bgnbd_gamma_gamma"  # both models fitted and trusted
BGNBD_OBSERVED_SPEND = "bgnbd_observed_spend"  # BG/NBD trusted, Gamma-Gamma not (q <= 1, too few)
HISTORICAL_RATE = "historical_rate"  # observed purchase rate x observed spend, discounted
CLV_MODELS = (BGNBD_GAMMA_GAMMA, BGNBD_OBSERVED_SPEND, HISTORICAL_RATE)


def untrusted_reasons(fit: MleFit | None, n_repeat: int, min_repeat: int) -> list[str]:
    """Why the BG/NBD fit must not price customers; empty when it may."""
    if fit is None:
        return ["bgnbd not fitted"]
    reasons = []
    if n_repeat < min_repeat:
        reasons.append(f"{n_repeat} customers with a repeat purchase, fewer than the {min_repeat} required")
    if not all(np.isfinite(v) and v > 0 for v in fit.values):
        reasons.append(f"bgnbd parameters not finite and positive: {fit.as_dict()}")
    if fit.at_bound:
        reasons.append(f"bgnbd parameter at the bound of the search space: {fit.as_dict()}")
    elif not fit.converged:
        reasons.append("bgnbd optimiser did not converge")
    return reasons


def finite_rows(values: dict[str, np.ndarray]) -> np.ndarray:
    """Customers whose model outputs are all finite: the others go to the historical rate."""
    return np.logical_and.reduce(
        [np.isfinite(values[k]) for k in ("expected_transactions", "p_alive", "clv")]
    )


def historical_values(
    x: np.ndarray, T: np.ndarray, zbar: np.ndarray, horizon: int, period_rate: float
) -> dict[str, np.ndarray]:
    """The 'historical_rate' estimate: repeat purchases per time unit so far, x / T, kept for the horizon.

    expected_transactions = x / T * horizon; expected_spend = the customer's mean repeat spend (the
    population's for customers without a repeat); clv = spend * x / T * sum_k (1 + d)^-k. No
    dropout model, so p_alive is NULL; customers without a repeat purchase are worth 0.
    """
    x, T, zbar = (np.asarray(v, dtype=float) for v in (x, T, zbar))
    rate = np.divide(x, T, out=np.zeros_like(x), where=T > 0)
    repeat = x > 0
    population = float(np.mean(zbar[repeat])) if np.any(repeat) else 0.0
    spend = np.where(repeat, zbar, population)
    annuity = float(np.sum((1.0 + period_rate) ** -np.arange(1, horizon + 1)))
    return {
        "expected_transactions": rate * horizon,
        "p_alive": np.full(x.shape, np.nan),
        "expected_spend": spend,
        "clv": spend * rate * annuity,
    }


@dataclass
class Pricing:
    """Per-customer columns of marts.customer_clv (clv_model included) and why rows fell back."""

    values: dict[str, np.ndarray]
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def model_counts(self) -> dict[str, int]:
        names, counts = np.unique(self.values["clv_model"].astype(str), return_counts=True)
        return {str(k): int(v) for k, v in zip(names, counts, strict=True)}


def _spend(
    fit: MleFit | None, x: np.ndarray, zbar: np.ndarray, warnings: list[str]
) -> tuple[np.ndarray, str]:
    """Gamma-Gamma expected spend; the observed means where the model has no finite mean (q <= 1)."""
    if fit is not None and fit["q"] > 1:
        spend = gamma_gamma.conditional_expected_spend(GammaGammaParams(*fit.values), x, zbar)
        if np.all(np.isfinite(spend)):
            return spend, BGNBD_GAMMA_GAMMA
    warnings.append("gamma_gamma not usable (no repeat customers or q <= 1): observed mean spend used")
    population = float(np.mean(zbar[x > 0])) if np.any(x > 0) else 0.0
    return np.where(x > 0, zbar, population), BGNBD_OBSERVED_SPEND


def price_customers(
    bg_fit: MleFit | None,
    gg_fit: MleFit | None,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    zbar: np.ndarray,
    settings: KpiSettings,
) -> Pricing:
    """BG/NBD (+ Gamma-Gamma) where it can be trusted, else the historical rate, per customer.

    The whole population falls back when the fit is untrusted (too few repeaters, not converged,
    a parameter at a bound); single customers fall back when a prediction of theirs is not finite.
    """
    period_rate = period_discount_rate(settings.clv_discount_rate, settings.clv_time_unit)
    history = historical_values(x, T, zbar, settings.clv_horizon, period_rate)
    pricing = Pricing(history)
    pricing.reasons = untrusted_reasons(bg_fit, int(np.sum(x > 0)), settings.clv_min_repeat_customers)
    ok, name = np.zeros(len(x), dtype=bool), HISTORICAL_RATE
    if not pricing.reasons:
        assert bg_fit is not None
        spend, name = _spend(gg_fit, x, zbar, pricing.warnings)
        with np.errstate(all="ignore"):
            params = BgNbdParams(*bg_fit.values)
            model = customer_values(params, x, t_x, T, spend, settings.clv_horizon, period_rate)
        model["expected_spend"] = spend
        ok = finite_rows(model)
        pricing.values = {k: np.where(ok, v, history[k]) for k, v in model.items()}
        if not np.all(ok):
            pricing.reasons.append(f"bgnbd prediction not finite for {int(np.sum(~ok))} customers")
    pricing.values["clv_model"] = np.where(ok, name, HISTORICAL_RATE).astype(object)
    pricing.warnings += [f"clv falls back to {HISTORICAL_RATE}: {r}" for r in pricing.reasons]
    return pricing
