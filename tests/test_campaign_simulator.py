"""The simulator's campaigns: a control cell of the designed size and a booked campaign cost."""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pytest

from sources.dev.simulator.campaigns import COST_PER_CONTACT, FIXED_COST, control_cell, control_size
from sources.dev.simulator.params import DEFAULT


@pytest.mark.parametrize(
    ("audience", "expected"),
    [(0, 0), (1, 0), (7, 3), (150, 75), (400, 200), (1999, 200), (2000, 200), (5000, 500)],
)
def test_control_size_is_the_share_with_a_minimum_and_at_most_half(audience: int, expected: int) -> None:
    assert control_size(audience, 0.10, 200) == expected


def test_control_cell_takes_the_smallest_draws() -> None:
    u = np.random.default_rng(1).random(500)
    control = control_cell(u, 0.10, 200)
    assert control.sum() == 200
    assert u[control].max() < u[~control].min()


def test_simulated_control_cells_have_the_designed_size(small: Path) -> None:
    files = [str(p) for p in sorted((small / "landing" / "lists" / "audience").glob("*.csv"))]
    assert files, "the 30-day simulation has no campaign"
    rows = duckdb.sql(
        f"""select campaign_id, campaign_channel, count(*) as audience,
            count(*) filter (cell = 'control') as control, count(*) filter (cell = 'treatment') as treatment,
            min(campaign_cost) as low, max(campaign_cost) as high
        from read_csv({files}, header = true, all_varchar = true)
        where campaign_id is not null group by all"""
    ).fetchall()
    assert rows
    for _, channel, audience, control, treatment, low, high in rows:
        assert control == control_size(audience, DEFAULT.control_share, DEFAULT.control_min)
        assert control >= min(DEFAULT.control_min, audience // 2)
        # one cost per campaign: the fixed cost plus the cost per treatment contact
        assert low == high
        assert float(low) == pytest.approx(
            FIXED_COST[channel] + COST_PER_CONTACT[channel] * treatment, abs=0.01
        )
