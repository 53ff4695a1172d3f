"""KPI dashboard asset: writes <data_dir>/reports/kpi_dashboard.html from the marts."""

import dagster as dg

from pipelines.defs.quality_resource import QualityResource
from pipelines.defs.resources import WAREHOUSE_POOL, WarehouseResource
from pipelines.kpi.dashboard.formatting import Money
from pipelines.kpi.dashboard.render import DashboardResult, render_dashboard
from pipelines.kpi.dashboard.sql import CHART_TABLES, HEADLINE_TABLE, OPTIONAL_TABLES

MART_TABLES = sorted({table for table, _ in CHART_TABLES.values()} | {HEADLINE_TABLE, *OPTIONAL_TABLES})


def dashboard_metadata(result: DashboardResult) -> dict[str, object]:
    """Link to the file, its size and render time, which charts had data, and every tile's value."""
    metadata: dict[str, object] = {
        "path": dg.MetadataValue.path(str(result.path)),
        "url": dg.MetadataValue.url(result.path.as_uri()),
        "as_of": result.as_of.isoformat() if result.as_of else "none",
        "currency": result.currency,
        "size_bytes": result.size_bytes,
        "render_seconds": round(result.seconds, 2),
        "charts_with_data": len(result.charts_with_data),
        "charts_without_data": dg.MetadataValue.json(result.charts_without_data),
    }
    for tile in result.tiles:
        if tile.value is not None:
            metadata[f"tile_{tile.key}"] = dg.MetadataValue.float(round(tile.value, 4))
    return metadata


@dg.asset(
    key=dg.AssetKey(["reports", "kpi_dashboard"]),
    deps=[
        *(dg.AssetKey(["marts", t]) for t in MART_TABLES),
        dg.AssetKey(["core", "quality_gate"]),
    ],
    group_name="reports",
    pool=WAREHOUSE_POOL,
    kinds={"duckdb", "plotly", "html"},
    description=(
        "Self-contained HTML dashboard (plotly.js inline, opens offline): headline KPI tiles of "
        "marts.kpi_headline (the last 30 days against the 30 before), and charts of acquisition, "
        "cohort retention, churn and customers at risk, CLV, Pareto, RFM, loyalty, satisfaction "
        "(CSAT, NPS), call-centre service level, campaign lift, marketing opt-in, product pairs, "
        "perfect order, returns and the sales forecast; amounts in CRM360_CURRENCY."
    ),
)
def kpi_dashboard(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    quality: QualityResource,
) -> dg.MaterializeResult:
    with warehouse.connect() as con:
        result = render_dashboard(con, quality.reports_path, Money(quality.currency))
    if result.charts_without_data:
        context.log.warning(f"dashboard charts without data: {result.charts_without_data}")
    context.log.info(
        f"dashboard written to {result.path} ({result.size_bytes} bytes, {result.seconds:.2f} s)"
    )
    return dg.MaterializeResult(metadata=dashboard_metadata(result))
