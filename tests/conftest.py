"""Shared pytest fixtures: a temporary landing folder and warehouse connection."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

# Fixture modules: simulated populations (built once per session), the dbt core build, the serving copy
# and the serving crash tests' data directories, the Spark engine's whole run.
pytest_plugins = [
    "tests.simulator_fixtures",
    "tests.dbt_core_fixtures",
    "tests.serving_fixtures",
    "tests.serving_crash_fixtures",
    "tests.spark_run_fixtures",
]


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    root = tmp_path / "landing"
    root.mkdir()
    return root


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield connection
    connection.close()
