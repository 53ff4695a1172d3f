"""Session fixtures for the serving-copy tests: a data directory with a first part built and published,
and the uninterrupted run over the whole landing from it, watched by a reader."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.serving_helpers import (
    FIRST_PART_UPTO,
    SIMULATION,
    CliRun,
    Reader,
    copy_data_dir,
    deliver_days,
    served_state,
    stop_all,
)


@dataclass(frozen=True)
class Base:
    source: Path  # the simulated landing, all 30 days
    data_dir: Path  # the first 20 days built and published; copy it, never change it


@dataclass(frozen=True)
class Uninterrupted:
    data_dir: Path
    before: tuple[str, int, str]  # served_state before the run
    exit_code: int
    reads: list[dict]  # what a reader saw through the run
    output: str


@pytest.fixture(scope="session")
def serving_base(tmp_path_factory) -> Base:
    from sources.dev.simulator import simulate

    root = tmp_path_factory.mktemp("serving")
    source = root / "sim" / "landing"
    simulate(out=source, **SIMULATION)
    data_dir = root / "base"
    assert deliver_days(source, data_dir / "landing", FIRST_PART_UPTO) > 0
    try:
        run = CliRun(data_dir)
        assert run.finish() == 0, run.tail()
    finally:
        stop_all()
    return Base(source, data_dir)


def with_new_files(base: Base, name: str) -> Path:
    """A copy of the base data directory with the last 10 days' files landed (new customers among them)."""
    data_dir = copy_data_dir(base.data_dir, base.data_dir.parent / name)
    assert deliver_days(base.source, data_dir / "landing") > 0
    return data_dir


@pytest.fixture(scope="session")
def serving_uninterrupted(serving_base: Base) -> Uninterrupted:
    """One whole `crm360 run` over the new files, with a reader on the served copy all through it."""
    data_dir = with_new_files(serving_base, "uninterrupted")
    before = served_state(data_dir)
    try:
        reader = Reader(data_dir)
        run = CliRun(data_dir)
        code = run.finish()
        return Uninterrupted(data_dir, before, code, reader.stop(), run.tail())
    finally:
        stop_all()


@pytest.fixture
def serving_cleanup() -> Iterator[None]:
    """After the test, kill any run or reader it left running."""
    yield
    stop_all()
