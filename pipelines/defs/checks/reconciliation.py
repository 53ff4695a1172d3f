"""Blocking reconciliation checks: load counts on each raw asset, daily totals on staging and core models."""

from collections.abc import Iterator

import dagster as dg

from pipelines.defs.checks.common import to_asset_check_result
from pipelines.defs.resources import WAREHOUSE_POOL, WarehouseResource
from quality.recon_layers import COMPARISONS, Comparison
from quality.reconciliation import reconcile
from sources.feeds import FEEDS

LOAD_CHECK = "reconcile_loads"


def asset_key(qualified: str) -> dg.AssetKey:
    """raw.pos -> AssetKey(["raw", "pos"]): asset keys are [schema, table] (pipelines/defs/dbt_project.py)."""
    return dg.AssetKey(qualified.split("."))


def skipped_result(note: str, key: dg.AssetKey | None = None, name: str | None = None) -> dg.AssetCheckResult:
    # A layer that is not built cannot be reconciled: say so as a warning, never block on it.
    return dg.AssetCheckResult(
        asset_key=key, check_name=name, passed=False, severity=dg.AssetCheckSeverity.WARN, description=note
    )


def build_load_check(feed: str) -> dg.AssetChecksDefinition:
    key = dg.AssetKey(["raw", feed])

    @dg.asset_check(
        asset=key,
        name=LOAD_CHECK,
        blocking=True,
        pool=WAREHOUSE_POOL,
        description=(
            "Per load: ledger rows_read = rows_loaded + rows_quarantined + rows_suppressed, rows_loaded = "
            f"rows in raw.{feed}, rows_quarantined = rows in audit.quarantine. Blocks downstream models."
        ),
    )
    def _loads(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with warehouse.connect() as con:
            run = reconcile(con, context.run.run_id, feeds=[feed], assets=[])
        if not run.results:
            return skipped_result("; ".join(run.skipped))
        [result] = run.results
        return to_asset_check_result(result)

    return _loads


def _deps(comparisons: list[Comparison], asset: str) -> list[dg.AssetKey]:
    """Every other table the comparisons read, so the check runs after them in the same run."""
    tables = {t for c in comparisons for layer in (c.a, c.b, c.explain) if layer for t in layer.tables}
    return [asset_key(t) for t in sorted(tables - {asset})]


def build_layer_check(asset: str) -> dg.AssetChecksDefinition:
    """All day-total comparisons attached to one staging or core model, as one op."""
    comparisons = [c for c in COMPARISONS if c.asset == asset]
    key = asset_key(asset)
    specs = [
        dg.AssetCheckSpec(
            c.check_name,
            asset=key,
            blocking=True,
            additional_deps=_deps(comparisons, asset),
            description=f"{c.measure} per UTC day: {c.a.name} = {c.b.name}",
        )
        for c in comparisons
    ]

    @dg.multi_asset_check(specs=specs, name=f"reconcile_{key.path[0]}_{key.path[1]}", pool=WAREHOUSE_POOL)
    def _layer(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource
    ) -> Iterator[dg.AssetCheckResult]:
        with warehouse.connect() as con:
            run = reconcile(con, context.run.run_id, feeds=[], assets=[asset])
        done = {r.check_name for r in run.results}
        for result in run.results:
            yield to_asset_check_result(result, key, result.check_name)
        for c in comparisons:
            if c.check_name not in done:
                notes = [s for s in run.skipped if s.startswith(c.check_name)]
                yield skipped_result("; ".join(notes) or "not run", key, c.check_name)

    return _layer


load_checks = [build_load_check(feed) for feed in FEEDS]
layer_checks = [build_layer_check(asset) for asset in dict.fromkeys(c.asset for c in COMPARISONS)]
