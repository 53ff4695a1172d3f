"""Campaign lift asset: intervals, p-values and ROI per campaign from the dbt mart's cell counts."""

import dagster as dg

from pipelines.defs.kpi_resource import KpiResource
from pipelines.defs.resources import WAREHOUSE_POOL, WarehouseResource
from pipelines.kpi.campaign_lift import build_campaign_lift

CAMPAIGN_LIFT_KEY = dg.AssetKey(["marts", "kpi_campaign_lift"])


@dg.asset(
    key=CAMPAIGN_LIFT_KEY,
    deps=[dg.AssetKey(["marts", "kpi_campaign_performance"]), dg.AssetKey(["core", "quality_gate"])],
    group_name="marts",
    kinds={"duckdb", "scipy"},
    pool=WAREHOUSE_POOL,
    description=(
        "Per outbound campaign: response and conversion rates of both cells, the difference with a "
        "Newcombe interval, lift, z-test and Fisher p-values, control_too_small / conclusive / "
        "significant flags, incremental revenue and ROI where the cost is known "
        "(pipelines/kpi/campaign_lift.py)."
    ),
)
def kpi_campaign_lift(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, kpi: KpiResource
) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        summary = build_campaign_lift(con, kpi.settings())
    context.log.info(f"campaign lift: {summary}")
    return dg.MaterializeResult(metadata={**summary, "summary": dg.MetadataValue.json(summary)})
