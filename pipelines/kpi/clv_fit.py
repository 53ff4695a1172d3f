"""The CLV fits from statistics any engine aggregates: distinct (x, t_x, T) and (x, zbar) with counts.

DuckDB's asset and Spark's step both reduce the customers to these rows, fit on them with the same
code and score each customer with the same PricingPlan, so their results agree to the last bit.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from pipelines.kpi import bgnbd, gamma_gamma
from pipelines.kpi.clv_fallback import PricingPlan, closing_notes, plan_pricing
from pipelines.kpi.clv_math import HoldoutPrediction
from pipelines.kpi.mle import MleFit, distinct_rows
from pipelines.kpi.settings import KpiSettings

# The sufficient statistics, over a per-customer summary relation named {summary}.
TRIPLES_SQL = "select frequency, recency, T, count(*) as n from {summary} group by frequency, recency, T"
PAIRS_SQL = """select frequency, monetary_value, count(*) as n from {summary}
    where frequency > 0 group by frequency, monetary_value"""


@dataclass
class ClvSummary:
    """What a CLV build fitted and wrote; becomes the Dagster materialization metadata."""

    calibration_end: date | None
    time_unit: str
    horizon: int
    n_customers: int = 0
    n_repeat_customers: int = 0
    bgnbd: dict[str, float] = field(default_factory=dict)
    bgnbd_log_likelihood: float | None = None
    bgnbd_std_errors: dict[str, float] = field(default_factory=dict)
    gamma_gamma: dict[str, float] = field(default_factory=dict)
    gamma_gamma_log_likelihood: float | None = None
    gamma_gamma_std_errors: dict[str, float] = field(default_factory=dict)
    spend_frequency_corr: float | None = None  # Gamma-Gamma assumes ~0
    total_clv: float = 0.0
    total_clv_net_profit: float | None = None  # after margin, returns and cost to serve (clv_profit.py)
    clv_models: dict[str, int] = field(default_factory=dict)  # customers per clv_model
    fallback_reasons: list[str] = field(default_factory=list)  # why BG/NBD did not price everyone
    holdout_periods: int = 0
    holdout_predicted: float = 0.0
    holdout_conditional_predicted: float = 0.0
    holdout_actual: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        out = asdict(self)
        out["calibration_end"] = self.calibration_end.isoformat() if self.calibration_end else None
        return out


@dataclass(frozen=True)
class ClvStats:
    """Distinct (x, t_x, T) of every customer and (x, zbar) of repeat customers, with their counts."""

    triples: np.ndarray  # shape (k, 3), sorted
    triple_counts: np.ndarray
    pairs: np.ndarray  # shape (m, 2), sorted
    pair_counts: np.ndarray

    @classmethod
    def counted(cls, triples: np.ndarray, triple_n: np.ndarray, pairs: np.ndarray, pair_n: np.ndarray):
        """From any grouping of the rows (an engine's group by): merged and sorted, so equal data
        gives equal arrays whatever the engine's order."""
        t_cols, t_counts = distinct_rows(triple_n, *np.asarray(triples, dtype=float).reshape(-1, 3).T)
        p_cols, p_counts = distinct_rows(pair_n, *np.asarray(pairs, dtype=float).reshape(-1, 2).T)
        return cls(np.column_stack(t_cols), t_counts, np.column_stack(p_cols), p_counts)

    @classmethod
    def from_customers(cls, x: np.ndarray, t_x: np.ndarray, T: np.ndarray, zbar: np.ndarray) -> ClvStats:
        repeat = x > 0
        triples, pairs = np.column_stack([x, t_x, T]), np.column_stack([x[repeat], zbar[repeat]])
        return cls.counted(triples, np.ones(len(x)), pairs, np.ones(int(repeat.sum())))

    @property
    def n_customers(self) -> int:
        return int(round(self.triple_counts.sum()))

    @property
    def n_repeat(self) -> int:
        return int(round(self.pair_counts.sum()))

    @property
    def population_spend(self) -> float:
        """Mean repeat spend over the repeat customers (0 when there are none)."""
        total = float(self.pair_counts.sum())
        return float(np.dot(self.pair_counts, self.pairs[:, 1])) / total if total else 0.0

    def has_repeat(self) -> bool:
        return self.n_repeat > 0


def weighted_corr(x: np.ndarray, z: np.ndarray, w: np.ndarray) -> float:
    mx, mz = np.average(x, weights=w), np.average(z, weights=w)
    cov = np.average((x - mx) * (z - mz), weights=w)
    return float(cov / np.sqrt(np.average((x - mx) ** 2, weights=w) * np.average((z - mz) ** 2, weights=w)))


def fit_models(
    stats: ClvStats, settings: KpiSettings, summary: ClvSummary
) -> tuple[MleFit, PricingPlan, list[tuple]]:
    """Fit BG/NBD and Gamma-Gamma on the statistics, record them in `summary`, plan the pricing;
    also marts.clv_model_params' rows."""
    bg_fit = bgnbd.fit(*stats.triples.T, counts=stats.triple_counts)
    gg_fit = None
    if stats.n_repeat >= 2:
        gg_fit = gamma_gamma.fit(*stats.pairs.T, counts=stats.pair_counts)
        if not gg_fit.converged:
            summary.warnings.append("gamma_gamma optimiser did not report convergence")
    plan = plan_pricing(bg_fit, gg_fit, stats.n_repeat, stats.population_spend, settings)
    summary.n_customers, summary.n_repeat_customers = stats.n_customers, stats.n_repeat
    for name, fit in (("bgnbd", bg_fit), ("gamma_gamma", gg_fit)):
        if fit is not None:
            setattr(summary, name, fit.as_dict())
            setattr(summary, f"{name}_log_likelihood", fit.log_likelihood)
            setattr(summary, f"{name}_std_errors", dict(zip(fit.names, fit.std_errors, strict=True)))
    if stats.n_repeat >= 3 and len(stats.pairs) >= 2:
        summary.spend_frequency_corr = weighted_corr(*stats.pairs.T, stats.pair_counts)
    return bg_fit, plan, param_rows(bg_fit, gg_fit, summary.calibration_end, settings.clv_time_unit)


def close_summary(summary: ClvSummary, plan: PricingPlan, model_counts: dict[str, int]) -> None:
    """Record which model priced how many customers, and why rows fell back."""
    summary.clv_models = model_counts
    summary.fallback_reasons, warnings = closing_notes(plan, model_counts)
    summary.warnings += warnings


def param_rows(bg: MleFit, gg: MleFit | None, cal_end: date | None, time_unit: str) -> list[tuple]:
    """marts.clv_model_params: a row per model and parameter."""
    return [
        (model, name, value, fit.log_likelihood, fit.n, cal_end, time_unit)
        for model, fit in (("bgnbd", bg), ("gamma_gamma", gg))
        if fit is not None
        for name, value in fit.as_dict().items()
    ]


def holdout_frame(
    prediction: HoldoutPrediction,
    actual_by_period: dict[int, int],
    cal_end: date,
    days: int,
    summary: ClvSummary,
) -> pd.DataFrame:
    """marts.clv_holdout: predicted against actual repeat transactions per period (a row per period)."""
    periods = len(prediction.unconditional)
    if periods == 0:
        return pd.DataFrame()
    index = np.arange(1, periods + 1)
    actual = np.array([actual_by_period.get(int(k), 0) for k in index])
    summary.holdout_periods = periods
    summary.holdout_predicted = float(prediction.unconditional.sum())
    summary.holdout_conditional_predicted = prediction.conditional_total
    summary.holdout_actual = int(actual.sum())
    return pd.DataFrame(
        {
            "period_index": index,
            "period_start": [cal_end + timedelta(days=int((k - 1) * days + 1)) for k in index],
            "predicted_repeat_transactions": prediction.unconditional,
            "actual_repeat_transactions": actual,
            "cumulative_predicted": np.cumsum(prediction.unconditional),
            "cumulative_actual": np.cumsum(actual),
        }
    )
