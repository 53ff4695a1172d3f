"""Which pending loads Great Expectations validates together: groups of loads up to a row budget.

GX costs ~0.3 s per validation whatever its size up to tens of thousands of rows (its overhead per
expectation dominates), so validating a year of small daily files one by one cost minutes and was
capped per run, leaving a backlog. A group is validated as one DataFrame that carries each row's
load id; quality/gx_attribution.py gives every load its own results again.
"""

from __future__ import annotations

from dataclasses import dataclass

LOAD_ID = "_load_id"  # the column naming each row's load in a group's DataFrame


@dataclass(frozen=True)
class PendingLoad:
    load_id: str
    source_file: str
    rows: int  # rows of the load in raw.<feed> now

    def validated_rows(self, sample_rows: int) -> int:
        """Rows GX sees of this load: all of them, or a reservoir sample of `sample_rows`."""
        return min(self.rows, sample_rows)


def plan_groups(loads: list[PendingLoad], sample_rows: int) -> list[list[PendingLoad]]:
    """Consecutive loads (oldest first) in groups of at most `sample_rows` validated rows.

    A load larger than the budget is sampled down to it and validated alone. Loads without rows
    (an empty file, every row quarantined) are left out: there is nothing to validate.
    """
    groups: list[list[PendingLoad]] = []
    current: list[PendingLoad] = []
    size = 0
    for load in loads:
        if load.rows == 0:
            continue
        rows = load.validated_rows(sample_rows)
        if current and size + rows > sample_rows:
            groups.append(current)
            current, size = [], 0
        current.append(load)
        size += rows
    if current:
        groups.append(current)
    return groups


def capped(groups: list[list[PendingLoad]], max_groups: int | None) -> tuple[list[list[PendingLoad]], int]:
    """The first `max_groups` groups, and how many loads wait for the next run."""
    if max_groups is None or len(groups) <= max_groups:
        return groups, 0
    return groups[:max_groups], sum(len(g) for g in groups[max_groups:])
