"""Shared run context: static inputs plus the small mutable state carried from one day to the next."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import polars as pl

from sources.dev.simulator.catalog import Catalog
from sources.dev.simulator.params import Params
from sources.dev.simulator.population import Population, Stores
from sources.dev.simulator.season import utc_offset_minutes


@dataclass
class Ctx:
    """Everything a day generator needs. State only flows forward in time (day d reads what days
    < d wrote), so the files of day d never depend on how many days the run has."""

    seed: int
    start: date
    p: Params
    pop: Population
    cat: Catalog
    stores: Stores
    boost: np.ndarray = field(init=False)  # campaign purchase-rate factor...
    boost_until: np.ndarray = field(init=False)  # ...valid up to and including this day
    returns_due: dict[int, list[pl.DataFrame]] = field(default_factory=lambda: defaultdict(list))
    contacts_due: dict[int, list[pl.DataFrame]] = field(default_factory=lambda: defaultdict(list))
    web_due: dict[int, list[pl.DataFrame]] = field(default_factory=lambda: defaultdict(list))
    self_service_due: dict[int, list[np.ndarray]] = field(default_factory=lambda: defaultdict(list))  # pids
    responses: dict[int, list[tuple[str, pl.DataFrame]]] = field(default_factory=lambda: defaultdict(list))

    def __post_init__(self) -> None:
        self.boost = np.ones(self.pop.n, dtype=np.float32)
        self.boost_until = np.full(self.pop.n, -1, dtype=np.int32)

    def date(self, d: int) -> date:
        return self.start + timedelta(days=d)

    def epoch(self, d: int) -> int:
        """Unix seconds of 00:00 UTC on day d."""
        return ((self.start - date(1970, 1, 1)).days + d) * 86400

    def ymd(self, d: int) -> str:
        return self.date(d).strftime("%Y%m%d")

    def boost_today(self, d: int, idx: np.ndarray | None = None) -> np.ndarray:
        b, u = (self.boost, self.boost_until) if idx is None else (self.boost[idx], self.boost_until[idx])
        return np.where(u >= d, b, np.float32(1.0))

    def add_boost(self, idx: np.ndarray, factor: float, d: int, until: int) -> None:
        """From day d on; overlapping campaigns keep the stronger factor and the later end."""
        live = self.boost_until[idx] >= d
        self.boost[idx] = np.where(live, np.maximum(self.boost[idx], factor), factor)
        self.boost_until[idx] = np.maximum(self.boost_until[idx], until)


# Contacts scheduled for a later day (delivery problems, repeats, outbound telesales).
CONTACT_SCHEMA = {
    "pid": pl.Int64,
    "queue": pl.Utf8,
    "channel": pl.Utf8,
    "direction": pl.Utf8,
    "reason": pl.Utf8,
    "order_ref": pl.Utf8,
    "repeat": pl.Boolean,
}


def schedule(due: dict[int, list[pl.DataFrame]], frame: pl.DataFrame | None, day_col: str = "day") -> None:
    """File the rows of `frame` under the day in `day_col` (dropped), for a later day to pick up."""
    if frame is None or frame.height == 0:
        return
    for (day,), part in frame.partition_by(day_col, as_dict=True, maintain_order=True).items():
        due[int(day)].append(part.drop(day_col))


def store_offsets(ctx: Ctx, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Per store: the UTC offset its till writes today (0 for tills writing UTC), and its real one."""
    day = ctx.date(d)
    off = np.array([utc_offset_minutes(day, tz) for tz in ctx.stores.tz])
    return np.where(ctx.stores.writes_local, off, 0), off
