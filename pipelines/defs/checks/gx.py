"""One Great Expectations asset check per raw feed: validates the feed's batches not validated before."""

import dagster as dg

from pipelines.defs.checks.common import results_table
from pipelines.defs.quality_resource import QualityResource
from pipelines.defs.resources import WAREHOUSE_POOL, WarehouseResource
from quality.gx_batches import GxRun, validate_new_batches
from quality.results import ERROR
from sources.contracts import FeedContract
from sources.feeds import FEEDS

GX_CHECK = "gx_batches"


def gx_check_result(run: GxRun) -> dg.AssetCheckResult:
    """Failed with ERROR severity when an error-level expectation failed in any new batch, failed
    with WARN when only warnings did (e.g. a record id repeated within one file)."""
    failed = run.failed
    errors = [r for r in failed if r.severity == ERROR]
    validated = [b for b in run.batches if b.success is not None]
    metadata: dict[str, dg.MetadataValue] = {
        "batches_validated": dg.MetadataValue.int(len(validated)),
        "batches_empty": dg.MetadataValue.int(len(run.batches) - len(validated)),
        "batches_pending": dg.MetadataValue.int(run.pending),
        "batches_sampled": dg.MetadataValue.int(sum(b.rows_validated < b.rows_in_batch for b in validated)),
        "rows_validated": dg.MetadataValue.int(sum(b.rows_validated for b in validated)),
        # Several loads share one GX validation (up to gx_sample_rows rows): what a run costs.
        "gx_validations": dg.MetadataValue.int(len(run.validation_seconds)),
        "seconds_per_validation": dg.MetadataValue.float(
            round(sum(run.validation_seconds) / len(run.validation_seconds), 3)
            if run.validation_seconds
            else 0.0
        ),
        "failed_expectations": dg.MetadataValue.md(results_table(failed)),
    }
    if run.docs_index is not None:
        metadata["data_docs"] = dg.MetadataValue.url(run.docs_index.resolve().as_uri())
        metadata["data_docs_path"] = dg.MetadataValue.path(str(run.docs_index))
    return dg.AssetCheckResult(
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR if errors else dg.AssetCheckSeverity.WARN,
        metadata=metadata,
        description=f"{len(failed)} failed expectation(s) over {len(validated)} new batch(es)"
        if failed
        else f"{len(validated)} new batch(es) passed",
    )


def build_gx_check(contract: FeedContract) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(["raw", contract.name]),
        name=GX_CHECK,
        pool=WAREHOUSE_POOL,
        description=(
            f"Great Expectations suite {contract.raw_table} (contract: required, allowed values, types, "
            "ranges; record id unique per file as a warning) on every load not validated before, "
            "loads grouped up to QualityResource.gx_sample_rows rows per GX validation (a larger load "
            "sampled to that), results per load in audit.check_results."
        ),
    )
    def _gx(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource, quality: QualityResource
    ) -> dg.AssetCheckResult:
        with warehouse.connect() as con:
            run = validate_new_batches(
                con,
                quality.reports_path,
                context.run.run_id,
                feeds=[contract.name],
                sample_rows=quality.gx_sample_rows,
                max_batches=quality.gx_max_batches,
            )
        return gx_check_result(run)

    return _gx


gx_checks = [build_gx_check(c) for c in FEEDS.values()]
