"""The Spark build asset: every dbt model in Spark's catalog, after the DuckDB build it reads from."""

from collections.abc import Iterator, Sequence

import dagster as dg

from pipelines.defs.checks.spark import spark_check_results, spark_check_specs
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
        check_specs=spark_check_specs(SPARK_KEY),
        description=(
            "Spark's copy of the warehouse: the ledger's raw loads synced exactly once, the identity map "
            "copied; `dbt build` (models and data tests) on dbt's `spark` target up to core; the "
            "pandera rules on Spark's core tables as its quality gate; CLV fitted and scored on Spark; "
            "then the marts, campaign lift and the sales forecast computed from Spark's tables, and the "
            "marts' pandera rules (a Dagster check per stage); every check recorded in Spark's "
            "audit.check_results (pipelines/spark/leg.py, docs/scale-out.md)."
        ),
    )
    def spark_warehouse(context: dg.AssetExecutionContext, spark: SparkResource) -> Iterator:
        try:
            build = spark.build(context.run.run_id)
        except SparkChecksFailed as failed:
            yield from spark_check_results(failed.checks)  # the closed gate is on record in Dagster too
            raise dg.Failure(
                description=str(failed),
                metadata={"failed_checks": dg.MetadataValue.json([c["check_name"] for c in failed.failed])},
            ) from failed
        figures = build.figures()
        context.log.info(f"Spark build: {figures}")
        yield dg.MaterializeResult(
            check_results=spark_check_results(build.checks),
            metadata={
                "models_built": figures["models_built"],
                "raw_loads_copied": figures["raw_loads_copied"],
                "raw_rows_copied": figures["raw_rows_copied"],
                "seconds": figures["total_seconds"],
                "checks_run": figures["checks_run"],
                "checks_failed": dg.MetadataValue.json(figures["checks_failed"]),
                "figures": dg.MetadataValue.json(figures),
            },
        )

    return spark_warehouse
