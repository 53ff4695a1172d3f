"""The Spark build asset: every dbt model in Spark's catalog, after the DuckDB build it reads from."""

from collections.abc import Sequence

import dagster as dg

from pipelines.defs.resources import WAREHOUSE_POOL
from pipelines.defs.spark_resource import SparkResource

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
            "Spark's copy of the warehouse: the ledger's raw loads synced exactly once, identity map and "
            "Python marts copied, then `dbt build` (models and data tests) on dbt's `spark` target "
            "(pipelines/spark/leg.py, docs/scale-out.md)."
        ),
    )
    def spark_warehouse(context: dg.AssetExecutionContext, spark: SparkResource) -> dg.MaterializeResult:
        figures = spark.build().figures()
        context.log.info(f"Spark build: {figures}")
        return dg.MaterializeResult(
            metadata={
                "models_built": figures["models_built"],
                "raw_loads_copied": figures["raw_loads_copied"],
                "raw_rows_copied": figures["raw_rows_copied"],
                "seconds": figures["total_seconds"],
                "figures": dg.MetadataValue.json(figures),
            }
        )

    return spark_warehouse
