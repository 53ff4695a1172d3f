"""Every default is written once: in the dataclass (or constant) that holds it, nowhere else."""

from __future__ import annotations

import inspect
from dataclasses import fields
from pathlib import Path

from pipelines.config import Settings, load_settings
from pipelines.identity.settings import IdentitySettings
from pipelines.kpi.settings import KpiSettings
from sources.connectors.web_api import PAGE_SIZE, pull_web_events
from sources.lib.duck import MEMORY_LIMIT, open_warehouse

PLAIN = ("web_api_page_size", "duckdb_memory_limit", "gx_max_batches", "dbt_unit_tests")
DECLARED = {f.name: f.default for f in fields(Settings)}


def test_unset_or_empty_variables_give_the_dataclass_defaults(tmp_path: Path) -> None:
    variables = (
        "CRM360_WEB_API_PAGE_SIZE",
        "CRM360_DUCKDB_MEMORY_LIMIT",
        "CRM360_GX_MAX_BATCHES",
        "CRM360_DBT_UNIT_TESTS",
        "CRM360_CHURN_DAYS",
        "CRM360_IDENTITY_SEED",
    )
    for env in ({}, dict.fromkeys(variables, "")):
        settings = load_settings(tmp_path, env=env)
        assert {name: getattr(settings, name) for name in PLAIN} == {name: DECLARED[name] for name in PLAIN}
        assert settings.kpi == KpiSettings()
        assert settings.identity == IdentitySettings()


def test_shared_defaults_are_the_constants_of_their_layer() -> None:
    from pipelines.defs.resources import LandingResource, WarehouseResource

    assert DECLARED["web_api_page_size"] == PAGE_SIZE
    assert inspect.signature(pull_web_events).parameters["page_size"].default == PAGE_SIZE
    assert LandingResource.model_fields["web_api_page_size"].default == PAGE_SIZE
    assert DECLARED["duckdb_memory_limit"] == MEMORY_LIMIT
    assert inspect.signature(open_warehouse).parameters["memory_limit"].default == MEMORY_LIMIT
    assert WarehouseResource.model_fields["memory_limit"].default == MEMORY_LIMIT
