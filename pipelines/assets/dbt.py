"""dbt models as Dagster assets: staging before identity resolution, then core, then the marts."""

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from pipelines.dbt_project import dbt_project, ensure_manifest, translator
from pipelines.kpi.resource import KpiResource
from pipelines.resources import WAREHOUSE_POOL, WarehouseResource
from quality.results import dbt_results_to_check_results, record_results

MANIFEST = ensure_manifest()

# Identity resolution is Python between the two: staging and its inputs are built first, then
# core and marts read core.customer_identity_map. Two dbt ops keep the asset graph acyclic.
PRE_IDENTITY = "tag:pre_identity"
# Marts are a third operation so that the blocking checks on core (pandera, reconciliation) run
# between core and marts: a failed gate leaves the marts of that run unbuilt.
MARTS = "path:models/marts"


@contextmanager
def _environ(**values: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def dbt_environ(warehouse: WarehouseResource):
    """The environment dbt's profile reads (profiles.yml): the warehouse file and its memory limit.

    dbt runs as a subprocess and the Python assets have closed their connections by now (one
    writer at a time). dbt.cli copies os.environ when it starts the process; the context manager
    restores it right after so the path does not leak into later settings lookups in this process.
    """
    return _environ(CRM360_WAREHOUSE=warehouse.path, CRM360_DUCKDB_MEMORY_LIMIT=warehouse.memory_limit)


def _build(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    warehouse: WarehouseResource,
    dbt_vars: dict[str, object] | None = None,
):
    args = ["build", *(["--vars", json.dumps(dbt_vars)] if dbt_vars else [])]
    with dbt_environ(warehouse):
        invocation = dbt.cli(args, context=context, raise_on_error=False)
    yield from invocation.stream()
    # Every dbt test outcome also goes to audit.check_results, next to pandera, GX and
    # reconciliation results, so analysts query one table for all checks of a run.
    run_id = context.run.run_id
    results = dbt_results_to_check_results(
        invocation.get_artifact("run_results.json"), run_id, invocation.get_artifact("manifest.json")
    )
    with warehouse.connect() as con:
        record_results(con, results, run_id)
    if not invocation.is_successful():
        failed = [r.check_name for r in results if not r.passed and r.severity == "error"]
        raise dg.Failure(
            description=f"dbt build failed; failing error-severity tests: {', '.join(failed) or 'see log'}",
            metadata={"failed_tests": dg.MetadataValue.json(failed)},
        )


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
    exclude=f"{PRE_IDENTITY} {MARTS}",
    name="dbt_warehouse",
    dagster_dbt_translator=translator,
    pool=WAREHOUSE_POOL,
)
def dbt_warehouse_assets(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
):
    yield from _build(context, dbt, warehouse)


@dbt_assets(
    manifest=MANIFEST,
    project=dbt_project,
    select=MARTS,
    name="dbt_marts",
    dagster_dbt_translator=translator,
    pool=WAREHOUSE_POOL,
)
def dbt_marts_assets(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource, kpi: KpiResource
):
    # The KPI definitions (churn days, service-level seconds, ...) of pipelines/kpi/settings.py.
    yield from _build(context, dbt, warehouse, kpi.settings().dbt_vars())
