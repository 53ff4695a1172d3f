"""dbt_project.yml's KPI vars are generated from KpiSettings: one definition of each default."""

from __future__ import annotations

import pytest
import yaml

from pipelines.dbt_vars import DBT_PROJECT_YML, with_kpi_vars
from pipelines.kpi.settings import KpiSettings


def test_committed_kpi_block_is_current() -> None:
    text = DBT_PROJECT_YML.read_text(encoding="utf-8")
    assert text == with_kpi_vars(text), (
        "dbt_project.yml's KPI vars are stale: run `python -m pipelines.dbt_vars --write` (make docs)"
    )


def test_dbt_by_hand_gets_the_settings_defaults() -> None:
    project_vars = yaml.safe_load(DBT_PROJECT_YML.read_text(encoding="utf-8"))["vars"]
    for name, value in KpiSettings().dbt_vars().items():
        assert project_vars[name] == value, name


def test_block_follows_other_settings_and_keeps_the_rest() -> None:
    text = DBT_PROJECT_YML.read_text(encoding="utf-8")
    updated = yaml.safe_load(with_kpi_vars(text, KpiSettings(churn_days=365)))
    assert updated["vars"]["churn_days"] == 365
    assert updated["vars"]["headline_window_days"] == yaml.safe_load(text)["vars"]["headline_window_days"]
    with pytest.raises(ValueError, match="BEGIN KPI defaults"):
        with_kpi_vars("vars:\n  churn_days: 180\n")
