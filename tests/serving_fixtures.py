"""Shared serving-copy fixture (a pytest plugin): the whole pipeline run once on the small population."""

from __future__ import annotations

import os
import shutil

import pytest

from pipelines.config import Settings, load_settings

# Parquet on, so the export is tested with the same run; nothing else from the caller's CRM360_* settings.
SERVING_ENV = {"CRM360_SERVING_PARQUET": "true"}


@pytest.fixture(scope="session")
def served(small, tmp_path_factory) -> Settings:
    """Settings of a data directory whose pipeline run published `settings.serving_dir / "crm360.duckdb"`
    (and its Parquet export), from a copy of the `small` simulated landing."""
    from pipelines.defs.runner import run_pipeline  # Dagster takes ~6 s to import: only when used

    data = tmp_path_factory.mktemp("served")
    shutil.copytree(small / "landing", data / "landing")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM360_")} | SERVING_ENV
    settings = load_settings(data_dir=data, env=env)
    summary = run_pipeline(settings)
    assert (settings.serving_dir / "crm360.duckdb").exists(), (summary.failures, summary.skipped_steps)
    return settings
