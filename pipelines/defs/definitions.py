"""The one builder of crm360's Dagster definitions, used by the code location, the CLI and the benchmark."""

from __future__ import annotations

import dagster as dg

from pipelines.config import Settings, load_settings
from pipelines.defs.assets.campaign_lift import kpi_campaign_lift
from pipelines.defs.assets.clv import clv_assets
from pipelines.defs.assets.dashboard import kpi_dashboard
from pipelines.defs.assets.dbt import build_dbt_assets
from pipelines.defs.assets.forecast import forecast_assets
from pipelines.defs.assets.gate import build_gate_asset
from pipelines.defs.assets.identity import customer_identity_map
from pipelines.defs.assets.raw import build_raw_assets
from pipelines.defs.assets.serving import build_serving_asset, served_keys
from pipelines.defs.assets.spark import build_spark_asset
from pipelines.defs.build_state import BuildResource
from pipelines.defs.checks import all_checks as quality_checks
from pipelines.defs.dbt_project import DBT_EXECUTABLE, dbt_project
from pipelines.defs.dbt_worker.launcher import CLIENT as RESIDENT_CLIENT
from pipelines.defs.kpi_resource import KpiResource
from pipelines.defs.quality_resource import QualityResource
from pipelines.defs.resources import (
    DbtResource,
    IdentityResource,
    LandingResource,
    ServingResource,
    WarehouseResource,
)
from pipelines.defs.schedules import FULL_BUILD_JOB, all_assets_job, nightly_schedule, record_build
from pipelines.defs.sensors import landing_files_sensor
from pipelines.defs.spark_resource import SparkResource

__all__ = ["FULL_BUILD_JOB", "all_assets", "all_checks", "build_definitions", "build_resources", "defs"]


def core_keys(warehouse_assets: dg.AssetsDefinition) -> list[dg.AssetKey]:
    """What the quality gate guards: every core table dbt builds, and the identity map."""
    keys = [k for k in warehouse_assets.keys if k.path[0] == "core"]
    return sorted([*keys, customer_identity_map.key], key=lambda k: k.to_user_string())


def all_assets(settings: Settings | None = None) -> list[dg.AssetsDefinition]:
    """Every asset; the event feeds' daily partitions start at settings.partitions_start."""
    staging, warehouse, marts = build_dbt_assets()
    built = [
        *build_raw_assets(settings.partitions_start if settings else None),
        staging,
        customer_identity_map,
        warehouse,
        build_gate_asset(core_keys(warehouse)),
        # Python KPI marts run after the gate and before the dbt marts, which read customer_clv.
        clv_assets,
        forecast_assets,
        marts,
        kpi_campaign_lift,  # reads the dbt mart kpi_campaign_performance
        kpi_dashboard,
    ]
    serving = build_serving_asset(served_keys(built))
    if settings is None or settings.engine != "spark":
        return [*built, serving]
    # Spark reads the DuckDB build: after every asset that writes a table it copies or rebuilds.
    return [*built, serving, build_spark_asset([k for a in built for k in a.keys])]


def all_checks() -> list[dg.AssetChecksDefinition]:
    return [*quality_checks]


def build_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    """Every setting reaches the assets, checks and sensor through one of these resources."""
    resources: dict[str, dg.ConfigurableResource] = {
        "dbt": DbtResource(
            project_dir=dbt_project(),
            dbt_executable=str(RESIDENT_CLIENT if settings.dbt_resident else DBT_EXECUTABLE),
            resident=settings.dbt_resident,
            unit_tests=settings.dbt_unit_tests,
            vars_json=DbtResource.settings_vars(settings),
        ),
        "warehouse": WarehouseResource.from_settings(settings),
        "landing": LandingResource.from_settings(settings),
        "identity": IdentityResource.from_settings(settings),
        "kpi": KpiResource.from_settings(settings),
        "quality": QualityResource.from_settings(settings),
        "build": BuildResource.from_settings(settings),
        "serving": ServingResource.from_settings(settings),
    }
    if settings.engine == "spark":  # only its asset asks for it (all_assets)
        resources["spark"] = SparkResource.from_settings(settings)
    return resources


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    """Assets, checks, resources, the full-build job, the nightly schedule and the landing sensor.

    `settings` defaults to the environment (CRM360_*), read when this is called, not at import.
    """
    settings = settings or load_settings()
    return dg.Definitions(
        assets=all_assets(settings),
        asset_checks=all_checks(),
        resources=build_resources(settings),
        jobs=[all_assets_job],
        schedules=[nightly_schedule],
        sensors=[landing_files_sensor, record_build],
        # Every step writes the one warehouse and the pool runs them one at a time, so a run gains
        # nothing from a process per step and would pay Python, definitions and dbt start-up in
        # each: every job (UI, schedule, sensor, crm360 run) executes its steps in one process,
        # which also keeps one resident dbt process for all its dbt steps.
        executor=dg.in_process_executor,
    )


@dg.definitions
def defs() -> dg.Definitions:
    """The code location (workspace.yaml, `crm360 ui`): loaded by Dagster's code server, not on import."""
    return build_definitions()
