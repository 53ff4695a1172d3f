"""The Dagster code location of crm360: assets, resources, schedules and sensors."""

import dagster as dg

from pipelines.config import Settings, load_settings
from pipelines.defs.assets.clv import clv_assets
from pipelines.defs.assets.dashboard import kpi_dashboard
from pipelines.defs.assets.dbt import dbt_marts_assets, dbt_staging_assets, dbt_warehouse_assets
from pipelines.defs.assets.forecast import forecast_assets
from pipelines.defs.assets.gate import quality_gate
from pipelines.defs.assets.identity import customer_identity_map
from pipelines.defs.assets.raw import raw_assets
from pipelines.defs.checks import all_checks as quality_checks
from pipelines.defs.checks import quality_resources
from pipelines.defs.dbt_project import DBT_EXECUTABLE, dbt_project
from pipelines.defs.kpi_resource import kpi_resources
from pipelines.defs.resources import DbtResource, LandingResource, WarehouseResource
from pipelines.defs.schedules import all_assets_job, nightly_schedule
from pipelines.defs.sensors import landing_files_sensor


def all_assets() -> list[dg.AssetsDefinition]:
    return [
        *raw_assets,
        dbt_staging_assets,
        customer_identity_map,
        dbt_warehouse_assets,
        quality_gate,
        # Python KPI marts run after the gate and before the dbt marts, which read customer_clv.
        clv_assets,
        forecast_assets,
        dbt_marts_assets,
        kpi_dashboard,
    ]


def all_checks() -> list[dg.AssetChecksDefinition]:
    return [*quality_checks]


def build_resources(settings: Settings) -> dict[str, dg.ConfigurableResource]:
    return {
        **quality_resources(settings),
        **kpi_resources(settings),
        "dbt": DbtResource(
            project_dir=dbt_project,
            dbt_executable=str(DBT_EXECUTABLE),
            unit_tests=settings.dbt_unit_tests,
            vars_json=DbtResource.settings_vars(settings),
        ),
        "warehouse": WarehouseResource.from_settings(settings),
        "landing": LandingResource.from_settings(settings),
    }


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    settings = settings or load_settings()
    return dg.Definitions(
        assets=all_assets(),
        asset_checks=all_checks(),
        resources=build_resources(settings),
        jobs=[all_assets_job],
        schedules=[nightly_schedule],
        sensors=[landing_files_sensor],
    )


defs = build_definitions()
