"""The quality gate asset: every core table and its blocking checks, before any KPI mart is built."""

import dagster as dg

from pipelines.defs.dbt_project import GATE_KEY
from pipelines.defs.resources import WAREHOUSE_POOL, WarehouseResource
from quality.gate import failure_message, gate_result, open_failures
from quality.results import record_results


def build_gate_asset(guarded: list[dg.AssetKey]) -> dg.AssetsDefinition:
    """`guarded`: every core asset. Each marts asset depends on the gate (pipelines/defs/dbt_project.py).

    Dagster does not start the gate when a blocking check on one of its parents failed with ERROR
    severity in this run; a failed dbt step skips it as well. The gate also reads audit.check_results
    across runs (quality.gate.open_failures): an error recorded by a check Dagster does not treat as
    blocking, one that ran outside the parents' checks, or one recorded by an earlier run on data
    still in the warehouse stops the marts until that data is fixed or quarantined.
    """

    @dg.asset(
        key=GATE_KEY,
        deps=guarded,
        group_name="core",
        pool=WAREHOUSE_POOL,
        kinds={"duckdb"},
        description=(
            "Passes when no error-severity check on raw, staging, intermediate or core has an open "
            "failure, in this run or an earlier one on data still loaded (docs/quality.md); every KPI "
            "mart depends on it, so a failed check leaves the marts unbuilt until the data is fixed."
        ),
    )
    def quality_gate(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        run_id = context.run.run_id
        with warehouse.connect() as con:
            failed = open_failures(con)
            seen = con.execute(
                "SELECT count(*) FROM audit.check_results WHERE run_id = ?", [run_id]
            ).fetchone()
            record_results(con, [gate_result(failed, seen[0])], run_id)
        if failed:
            raise dg.Failure(
                description="quality gate closed, KPI marts not built:\n" + failure_message(failed),
                metadata={"failed_checks": dg.MetadataValue.json([f.check_name for f in failed])},
            )
        return dg.MaterializeResult(metadata={"checks_this_run": dg.MetadataValue.int(seen[0])})

    return quality_gate
