"""dbt models as Dagster assets: the layers before identity resolution, and those after it."""

import os

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from pipelines.dbt_project import dbt_project, ensure_manifest, translator
from pipelines.resources import WAREHOUSE_POOL, WarehouseResource

MANIFEST = ensure_manifest()

# Identity resolution is Python between the two: staging and its inputs are built first, then
# core and marts read core.customer_identity_map. Two dbt ops keep the asset graph acyclic.
PRE_IDENTITY = "tag:pre_identity"


def _build(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    # The dbt profile reads the warehouse file from CRM360_WAREHOUSE; dbt runs as a subprocess
    # and the Python assets have closed their connections by now (one writer at a time).
    os.environ["CRM360_WAREHOUSE"] = warehouse.path
    os.environ["CRM360_DUCKDB_MEMORY_LIMIT"] = warehouse.memory_limit
    yield from dbt.cli(["build"], context=context).stream()


@dbt_assets(
    manifest=MANIFEST,
    project=dbt_project,
    select=PRE_IDENTITY,
    name="dbt_staging",
    dagster_dbt_translator=translator,
    pool=WAREHOUSE_POOL,
)
def dbt_staging_assets(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    yield from _build(context, dbt, warehouse)


@dbt_assets(
    manifest=MANIFEST,
    project=dbt_project,
    select="fqn:*",
    exclude=PRE_IDENTITY,
    name="dbt_warehouse",
    dagster_dbt_translator=translator,
    pool=WAREHOUSE_POOL,
)
def dbt_warehouse_assets(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
):
    yield from _build(context, dbt, warehouse)
