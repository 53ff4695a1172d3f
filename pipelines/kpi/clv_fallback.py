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
    x: np.ndarray,
    T: np.ndarray,
    zbar: np.ndarray,
    horizon: int,
    period_rate: float,
    population: float | None = None,
) -> dict[str, np.ndarray]:
    """The 'historical_rate' estimate: repeat purchases per time unit so far, x / T, kept for the horizon.

    expected_transactions = x / T * horizon; expected_spend = the customer's mean repeat spend (the
    population's, `population` or else the mean over these repeat customers, for customers without
    a repeat); clv = spend * x / T * sum_k (1 + d)^-k. No dropout model, so p_alive is NULL;
    customers without a repeat purchase are worth 0.
    """
    x, T, zbar = (np.asarray(v, dtype=float) for v in (x, T, zbar))
    rate = np.divide(x, T, out=np.zeros_like(x), where=T > 0)
    repeat = x > 0
    if population is None:
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


@dataclass(frozen=True)
class PricingPlan:
    """How every customer is priced, decided once for the population, so that any slice of the
    customers (a Spark partition) is scored as the whole would be."""

    bg: BgNbdParams | None  # None: the fit is untrusted and everyone gets the historical rate
    gg: GammaGammaParams | None  # None: the observed mean spend replaces Gamma-Gamma
    population_spend: float  # mean repeat spend over the repeat customers
    horizon: int
    period_rate: float
    reasons: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


def plan_pricing(
    bg_fit: MleFit | None,
    gg_fit: MleFit | None,
    n_repeat: int,
    population_spend: float,
    settings: KpiSettings,
) -> PricingPlan:
    """Trust BG/NBD or not (the whole population falls back); use Gamma-Gamma where its mean is finite."""
    period_rate = period_discount_rate(settings.clv_discount_rate, settings.clv_time_unit)
    reasons = untrusted_reasons(bg_fit, n_repeat, settings.clv_min_repeat_customers)
    bg = gg = None
    warnings: list[str] = []
    if not reasons:
        assert bg_fit is not None
        bg = BgNbdParams(*bg_fit.values)
        # q > 1 and finite parameters make p (gamma + x zbar) / (p x + q - 1) finite for every customer
        if gg_fit is not None and gg_fit["q"] > 1 and all(np.isfinite(gg_fit.values)):
            gg = GammaGammaParams(*gg_fit.values)
        else:
            warnings.append(
                "gamma_gamma not usable (no repeat customers or q <= 1): observed mean spend used"
            )
    horizon = settings.clv_horizon
    return PricingPlan(bg, gg, population_spend, horizon, period_rate, tuple(reasons), tuple(warnings))


def score(plan: PricingPlan, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, zbar: np.ndarray) -> dict:
    """marts.customer_clv's model columns for these customers; a customer whose BG/NBD prediction is
    not finite gets the historical rate."""
    history = historical_values(x, T, zbar, plan.horizon, plan.period_rate, plan.population_spend)
    ok, name, values = np.zeros(len(x), dtype=bool), HISTORICAL_RATE, history
    if plan.bg is not None:
        if plan.gg is not None:
            spend, name = gamma_gamma.conditional_expected_spend(plan.gg, x, zbar), BGNBD_GAMMA_GAMMA
        else:
            spend, name = np.where(x > 0, zbar, plan.population_spend), BGNBD_OBSERVED_SPEND
        with np.errstate(all="ignore"):
            model = customer_values(plan.bg, x, t_x, T, spend, plan.horizon, plan.period_rate)
        model["expected_spend"] = spend
        ok = finite_rows(model)
        values = {k: np.where(ok, v, history[k]) for k, v in model.items()}
    values["clv_model"] = np.where(ok, name, HISTORICAL_RATE).astype(object)
    return values


def closing_notes(plan: PricingPlan, model_counts: dict[str, int]) -> tuple[list[str], list[str]]:
    """Why rows fell back and the warnings, from the plan and the scored customers' clv_model counts."""
    reasons = list(plan.reasons)
    if plan.bg is not None and model_counts.get(HISTORICAL_RATE, 0):
        reasons.append(f"bgnbd prediction not finite for {model_counts[HISTORICAL_RATE]} customers")
    return reasons, [*plan.warnings, *(f"clv falls back to {HISTORICAL_RATE}: {r}" for r in reasons)]


def price_customers(
    bg_fit: MleFit | None,
    gg_fit: MleFit | None,
    x: np.ndarray,
    t_x: np.ndarray,
    T: np.ndarray,
    zbar: np.ndarray,
    settings: KpiSettings,
    population_spend: float | None = None,
) -> Pricing:
    """BG/NBD (+ Gamma-Gamma) where it can be trusted, else the historical rate, per customer.

    The whole population falls back when the fit is untrusted (too few repeaters, not converged,
    a parameter at a bound); single customers fall back when a prediction of theirs is not finite.
    """
    repeat = np.asarray(x) > 0
    if population_spend is None:
        population_spend = float(np.mean(zbar[repeat])) if np.any(repeat) else 0.0
    plan = plan_pricing(bg_fit, gg_fit, int(np.sum(repeat)), population_spend, settings)
    pricing = Pricing(score(plan, x, t_x, T, zbar))
    pricing.reasons, pricing.warnings = closing_notes(plan, pricing.model_counts())
    return pricing
