"""dbt models as Dagster assets: staging before identity resolution, then core, then the marts."""

import functools
import json
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from pipelines.config import REPO_ROOT
from pipelines.defs.dbt_project import MANIFEST_PATH, dbt_project, ensure_manifest, translator
from pipelines.defs.dbt_worker.launcher import ensure_running
from pipelines.defs.kpi_resource import KpiResource
from pipelines.defs.resources import WAREHOUSE_POOL, DbtResource, WarehouseResource
from quality.results import dbt_results_to_check_results, record_results

# Identity resolution is Python between the two: staging and its inputs are built first, then
# core and marts read core.customer_identity_map. Two dbt ops keep the asset graph acyclic.
PRE_IDENTITY = "tag:pre_identity"
# Marts are a third operation so that the blocking checks on core (pandera, reconciliation) run
# between core and marts: a failed gate leaves the marts of that run unbuilt. The restricted
# models (personal contact data of the marketing lists) read marts and build with them.
MARTS = "path:models/marts path:models/restricted"
PARTIAL_PARSE = "partial_parse.msgpack"
# A run tagged so rebuilds every incremental dbt model from raw (dbt build --full-refresh).
FULL_REFRESH_TAG = "crm360/full_refresh"


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
    """The environment dbt's profile reads (profiles.yml): the warehouse file and its memory limit;
    and where the resident dbt process's client finds Python and this code (pipelines/defs/dbt_worker).

    dbt runs in another process and the Python assets have closed their connections by now (one
    writer at a time). dbt.cli copies os.environ when it starts the process; the context manager
    restores it right after so the path does not leak into later settings lookups in this process.
    """
    path = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return _environ(
        CRM360_WAREHOUSE=warehouse.path,
        CRM360_DUCKDB_MEMORY_LIMIT=warehouse.memory_limit,
        CRM360_PYTHON=sys.executable,
        PYTHONPATH=path,
    )


def vars_args(kpi: KpiResource, dbt: DbtCliResource | None = None) -> list[str]:
    """The KPI definitions of pipelines/kpi/settings.py as dbt --vars, on every dbt call of a run,
    with the vars of the pipeline's own settings (DbtResource.vars_json: customer_ref_patterns).

    dbt re-parses the whole project (~10 s) when the vars, or the profile (warehouse path), differ
    from its saved parse state; passing the same vars everywhere keeps one state valid for a run.
    """
    own = dbt.dbt_vars() if isinstance(dbt, DbtResource) else {}
    return ["--vars", json.dumps({**kpi.settings().dbt_vars(), **own}, sort_keys=True)]


def keep_parse_state(target_path: Path) -> None:
    """Make this invocation's parse state the one the next dbt call starts from.

    dagster-dbt copies dbt_project/target/partial_parse.msgpack into each invocation's own target
    folder. Left alone, that file keeps the profile of whatever warehouse `dbt parse` last saw, so
    every call of a run re-parsed from scratch (4 x ~10 s per run, measured by crm360 bench).
    dagster-dbt also leaves one target folder per invocation: keep only the latest per step.
    """
    state = target_path / PARTIAL_PARSE
    if state.exists():
        tmp = MANIFEST_PATH.parent / (PARTIAL_PARSE + ".tmp")
        shutil.copyfile(state, tmp)
        os.replace(tmp, MANIFEST_PATH.parent / PARTIAL_PARSE)
    if target_path.parent == MANIFEST_PATH.parent:
        step = target_path.name.split("-")[0]
        for old in target_path.parent.glob(f"{step}-*"):
            if old != target_path and old.is_dir():
                shutil.rmtree(old, ignore_errors=True)


def build_command(kpi: KpiResource, dbt: DbtResource, run_tags: dict[str, str]) -> list[str]:
    """`dbt build` with the run's vars, the resource's options, and `--full-refresh` when the run asks
    for a rebuild from raw (`crm360 run --full-refresh`, or the tag on a run launched from the UI)."""
    refresh = ["--full-refresh"] if run_tags.get(FULL_REFRESH_TAG) == "true" else []
    return ["build", *vars_args(kpi, dbt), *dbt.build_args(), *refresh]


def _build(
    context: dg.AssetExecutionContext,
    dbt: DbtResource,
    warehouse: WarehouseResource,
    kpi: KpiResource,
):
    with dbt_environ(warehouse):
        if dbt.resident:
            ensure_running(dict(os.environ))
        args = build_command(kpi, dbt, dict(context.run.tags))
        invocation = dbt.cli(args, context=context, raise_on_error=False)
    yield from invocation.stream()
    keep_parse_state(invocation.target_path)
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


@functools.cache
def build_dbt_assets() -> tuple[dg.AssetsDefinition, dg.AssetsDefinition, dg.AssetsDefinition]:
    """The three dbt multi-assets (staging, warehouse, marts), built once per process.

    dagster-dbt reads the manifest when `@dbt_assets` is applied, so the manifest is prepared here,
    when definitions are built (`dbt parse` if a project file is newer), never when a module is imported.
    """
    manifest = ensure_manifest()
    project = dbt_project()

    def multi_asset(name: str, select: str, exclude: str | None = None) -> dg.AssetsDefinition:
        @dbt_assets(
            manifest=manifest,
            project=project,
            select=select,
            exclude=exclude,
            name=name,
            dagster_dbt_translator=translator,
            pool=WAREHOUSE_POOL,
        )
        def _dbt(
            context: dg.AssetExecutionContext,
            dbt: DbtResource,
            warehouse: WarehouseResource,
            kpi: KpiResource,
        ):
            yield from _build(context, dbt, warehouse, kpi)

        return _dbt

    return (
        multi_asset("dbt_staging", PRE_IDENTITY),
        multi_asset("dbt_warehouse", "fqn:*", exclude=f"{PRE_IDENTITY} {MARTS}"),
        multi_asset("dbt_marts", MARTS),
    )
