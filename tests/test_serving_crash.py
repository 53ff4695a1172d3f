"""kill -9 of `crm360 run` at ingestion, identity, the dbt build of core and mid-publish: the served
copy stays the last good one, byte for byte, and the next run serves what an uninterrupted run serves."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.serving_crash_fixtures import Base, Uninterrupted, with_new_files
from tests.serving_helpers import (
    CliRun,
    Reader,
    assert_old_then_new,
    has_tmp_copy,
    served_signatures,
    served_state,
    step_started,
)

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("serving_cleanup")]

# kill point -> (a line of the run's log, then a condition on the data directory, polled every 2 ms)
KILL_POINTS: dict[str, tuple[re.Pattern[str], Callable[[Path], bool] | None]] = {
    "ingestion": (step_started("raw__(pos|web|callcenter)"), None),
    "identity": (step_started("core__customer_identity_map"), None),
    # dbt has built its first core model and is building the others
    "dbt_core": (re.compile(r"dbt_warehouse - ASSET_MATERIALIZATION - Materialized value core "), None),
    "publish": (step_started("serving__crm360"), has_tmp_copy),
}


@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_a_run_killed_mid_run_keeps_the_served_copy_and_the_next_run_serves_the_same(
    point: str, serving_base: Base, serving_uninterrupted: Uninterrupted
) -> None:
    reference = serving_uninterrupted
    assert reference.exit_code == 0, reference.output
    data_dir = with_new_files(serving_base, f"killed-{point}")
    before = served_state(data_dir)
    reader = Reader(data_dir)

    pattern, also = KILL_POINTS[point]
    killed = CliRun(data_dir)
    killed.wait_for(pattern, (lambda: also(data_dir)) if also else None)
    killed.kill()
    if point == "publish":  # the kill landed mid-publish: the new copy half built, not renamed
        assert has_tmp_copy(data_dir)
    assert served_state(data_dir) == before  # the last good copy, byte for byte
    reader.wait_reads(5)

    recovery = CliRun(data_dir)
    assert recovery.finish() == 0, recovery.tail()
    assert not has_tmp_copy(data_dir)  # the killed publish's leftover is gone
    after = served_state(data_dir)
    assert_old_then_new(reader.stop(), before[:2], after[:2])
    assert after[1] == served_state(reference.data_dir)[1]
    ours, theirs = served_signatures(data_dir), served_signatures(reference.data_dir)
    assert ours.keys() == theirs.keys() and len(ours) > 40
    assert {t: (ours[t], theirs[t]) for t in ours if ours[t] != theirs[t]} == {}
