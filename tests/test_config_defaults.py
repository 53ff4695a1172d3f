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


def test_configuration_doc_reads_every_default_from_the_dataclasses() -> None:
    from pipelines.config import ENV_VARS
    from pipelines.config_doc import default_text, render_configuration_markdown, setting_default

    rendered = render_configuration_markdown()
    shown = {name: setting_default(name) for name in ENV_VARS}
    for name, (var, text) in ENV_VARS.items():
        if shown[name] is None:
            continue
        assert "(default" not in text, f"{name}: the description repeats its default"
        assert f"| `{var}` | `{name}` | {text} Default: `{default_text(shown[name])}`. |" in rendered
    # every knob of the KPI and identity settings shows the dataclass's own value
    knobs = [n for n in ENV_VARS if n.startswith(("kpi.", "identity.")) and n != "kpi.clv_calibration_end"]
    for name in knobs:
        group, attr = name.split(".")
        holder = KpiSettings() if group == "kpi" else IdentitySettings()
        assert shown[name] == getattr(holder, attr), name
    assert shown["gx_max_batches"] == DECLARED["gx_max_batches"]


def test_load_time_bounds_have_one_default(monkeypatch) -> None:
    from pipelines.config import load_settings
    from sources.contracts import MAX_AGE_YEARS, PLAUSIBILITY, SALES_SINCE

    bounds = load_settings(env={}).plausibility
    assert (bounds.sales_since, bounds.max_age_years) == (SALES_SINCE, MAX_AGE_YEARS)
    assert SALES_SINCE.isoformat() in PLAUSIBILITY["sale_time"]
