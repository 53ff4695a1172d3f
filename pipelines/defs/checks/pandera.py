"""Blocking pandera asset checks on the core facts and marts.customer_360 (audit.check_results): the
rules dbt does not check (quality/pandera_schemas.py); types, keys and references are dbt's tests."""

import json

import dagster as dg

from pipelines.defs.quality_resource import QualityResource
from pipelines.defs.resources import WAREHOUSE_POOL, WarehouseResource
from quality.pandera_gate import validate_table
from quality.pandera_schemas import SPECS, specs
from quality.results import ERROR, CheckResult, record_results, sample_json

CHECK_NAME = "pandera"


def _key(qualified: str) -> dg.AssetKey:
    return dg.AssetKey(qualified.split("."))  # asset keys are [schema, table] (pipelines/defs/dbt_project.py)


def summarize(subject: str, results: list[CheckResult], check_name: str | None = None) -> dg.AssetCheckResult:
    """One Dagster result for the rules of `subject` (a table, a stage): ERROR when any error-severity
    rule failed, else WARN. An asset with several checks names the one (`check_name`)."""
    failed = [r for r in results if not r.passed]
    errors = [r for r in failed if r.severity == ERROR]
    metadata: dict[str, dg.MetadataValue] = {
        r.check_name: dg.MetadataValue.int(r.failing_rows)
        if r.failing_rows is not None
        else dg.MetadataValue.text("could not run")
        for r in results
    }
    metadata["failed_rules"] = dg.MetadataValue.json([r.check_name for r in failed])
    metadata["sample"] = dg.MetadataValue.json(
        {r.check_name: json.loads(sample_json(r.sample) or "{}") for r in failed}
    )
    if failed:
        shown = ", ".join(
            f"{r.check_name} ({r.failing_rows if r.failing_rows is not None else '?'})" for r in failed
        )
        description = f"{subject}: {len(failed)} of {len(results)} pandera rules failed: {shown}"
    else:
        description = f"{subject}: all {len(results)} pandera rules passed"
    return dg.AssetCheckResult(
        check_name=check_name,
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR if errors else dg.AssetCheckSeverity.WARN,
        metadata=metadata,
        description=description,
    )


def build_pandera_check(qualified: str) -> dg.AssetChecksDefinition:
    spec = SPECS[qualified]
    rules = ", ".join(r.name.rsplit(":", 1)[1] for r in spec.rules)

    @dg.asset_check(
        asset=_key(qualified),
        name=CHECK_NAME,
        blocking=True,
        pool=WAREHOUSE_POOL,
        description=(
            f"Pandera (ibis, inside DuckDB) on {qualified}: {rules} (types, keys and references are "
            "dbt's tests). Blocks downstream assets when an error rule fails; distribution rules are "
            "calibrated by QualityResource (CRM360_DISTRIBUTION_SEVERITY ...) and warn by default."
        ),
    )
    def _check(
        context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource, quality: QualityResource
    ) -> dg.AssetCheckResult:
        calibrated = specs(quality.distribution())[qualified]
        with warehouse.connect() as con:
            results = validate_table(con, qualified, calibrated)
            record_results(con, results, context.run.run_id)
        return summarize(qualified, results)

    return _check


pandera_checks: list = [build_pandera_check(qualified) for qualified in SPECS]
