"""The Spark build asset: every dbt model in Spark's catalog, after the DuckDB build it reads from."""

from collections.abc import Sequence

import dagster as dg

from pipelines.defs.resources import WAREHOUSE_POOL
from pipelines.defs.spark_resource import SparkResource
from pipelines.spark.leg import SparkChecksFailed

SPARK_KEY = dg.AssetKey(["spark", "warehouse"])


def build_spark_asset(upstream: Sequence[dg.AssetKey]) -> dg.AssetsDefinition:
    """The asset CRM360_ENGINE=spark adds, downstream of every asset whose tables it reads."""

    @dg.asset(
        key=SPARK_KEY,
        deps=list(upstream),
        group_name="spark",
        kinds={"spark", "dbt"},
        # It reads the DuckDB file from other processes: no DuckDB step may write meanwhile.
        pool=WAREHOUSE_POOL,
        description=(
            "Spark's copy of the warehouse: the ledger's raw loads synced exactly once, the identity map "
            "copied; `dbt build` (models and data tests) on dbt's `spark` target up to core; the "
            "pandera rules on Spark's core tables as its quality gate; CLV fitted and scored on Spark; "
            "then the marts, campaign lift and the sales forecast computed from Spark's tables, and the "
            "marts' pandera rules; every check recorded in Spark's audit.check_results "
            "(pipelines/spark/leg.py, docs/scale-out.md)."
        ),
    )
    def spark_warehouse(context: dg.AssetExecutionContext, spark: SparkResource) -> dg.MaterializeResult:
        try:
            figures = spark.build(context.run.run_id).figures()
        except SparkChecksFailed as failed:
            raise dg.Failure(
                description=str(failed),
                metadata={"failed_checks": dg.MetadataValue.json([c["check_name"] for c in failed.failed])},
            ) from failed
        context.log.info(f"Spark build: {figures}")
        return dg.MaterializeResult(
            metadata={
                "models_built": figures["models_built"],
                "raw_loads_copied": figures["raw_loads_copied"],
                "raw_rows_copied": figures["raw_rows_copied"],
                "seconds": figures["total_seconds"],
                "checks_run": figures["checks_run"],
                "checks_failed": dg.MetadataValue.json(figures["checks_failed"]),
                "figures": dg.MetadataValue.json(figures),
            }
        )

    return spark_warehouse
