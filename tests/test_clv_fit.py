"""The CLV fits on counted statistics: any grouping of the customers gives the per-customer result exactly.

This is what lets Spark send the driver distinct rows with counts instead of its customers, and a
slice of customers (a Spark partition) be scored as the whole would be.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from pipelines.kpi import bgnbd, gamma_gamma
from pipelines.kpi.clv_fallback import score
from pipelines.kpi.clv_fit import ClvStats, ClvSummary, fit_models
from pipelines.kpi.settings import KpiSettings

SIM800 = Path(__file__).parent / "fixtures" / "clv_sim800" / "summary.csv"


def _customers() -> tuple[np.ndarray, ...]:
    data = np.genfromtxt(SIM800, delimiter=",", names=True)
    return data["x"], data["t_x_days"] / 7, data["T_days"] / 7, data["zbar"]


def _regrouped(x, t_x, T, zbar, rng) -> ClvStats:
    """The customers shuffled and split into groups of 1 or 2 of the same row: an engine's group by,
    in its own order, some rows seen twice (one per partition)."""
    order = rng.permutation(len(x))
    triples = np.column_stack([x, t_x, T])[order]
    repeat = x[order] > 0
    pairs = np.column_stack([x, zbar])[order][repeat]
    split_t = np.repeat(triples, 2, axis=0)
    split_p = np.repeat(pairs, 2, axis=0)
    return ClvStats.counted(split_t, np.full(len(split_t), 0.5), split_p, np.full(len(split_p), 0.5))


def test_counted_statistics_fit_exactly_as_the_customers_do() -> None:
    x, t_x, T, zbar = _customers()
    per_customer = ClvStats.from_customers(x, t_x, T, zbar)
    regrouped = _regrouped(x, t_x, T, zbar, np.random.default_rng(7))
    for name in ("triples", "triple_counts", "pairs", "pair_counts"):
        np.testing.assert_array_equal(getattr(per_customer, name), getattr(regrouped, name))
    assert per_customer.n_customers == len(x) and per_customer.n_repeat == int((x > 0).sum())
    assert len(per_customer.triples) < len(x)  # customers share rows: the point of counting
    # the counted fit is the fit on one row per customer (weighted sums, same optimum)
    bg = bgnbd.fit(*per_customer.triples.T, counts=per_customer.triple_counts)
    np.testing.assert_allclose(bg.values, bgnbd.fit(x, t_x, T).values, rtol=1e-6)
    repeat = x > 0
    gg = gamma_gamma.fit(*per_customer.pairs.T, counts=per_customer.pair_counts)
    np.testing.assert_allclose(gg.values, gamma_gamma.fit(x[repeat], zbar[repeat]).values, rtol=1e-6)
    assert gg.n == per_customer.n_repeat


def test_a_slice_of_customers_is_scored_as_the_whole() -> None:
    """Scoring customers in uneven slices with the population's plan gives the rows of scoring them all."""
    x, t_x, T, zbar = _customers()
    settings = KpiSettings()
    summary = ClvSummary(None, settings.clv_time_unit, settings.clv_horizon)
    stats = ClvStats.from_customers(x, t_x, T, zbar)
    _, plan, params = fit_models(stats, settings, summary)
    whole = score(plan, x, t_x, T, zbar)
    slices = (slice(0, 1), slice(1, 100), slice(100, None))
    parts = [score(plan, x[s], t_x[s], T[s], zbar[s]) for s in slices]
    for key, values in whole.items():
        np.testing.assert_array_equal(np.concatenate([p[key] for p in parts]), values)
    assert {row[0] for row in params} == {"bgnbd", "gamma_gamma"} and summary.n_customers == len(x)
