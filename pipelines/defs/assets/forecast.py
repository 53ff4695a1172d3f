"""Sales forecast asset: weekly net sales per channel, statsmodels ETS forecast and its backtest error."""

from collections.abc import Iterator
from typing import Any

import dagster as dg

from pipelines.defs.kpi_resource import KpiResource
from pipelines.defs.resources import WAREHOUSE_POOL, WarehouseResource
from pipelines.kpi.forecast import run_forecast

_UPSTREAM = [dg.AssetKey(["core", "fct_order_lines"]), dg.AssetKey(["core", "quality_gate"])]

FORECAST_SPECS = [
    dg.AssetSpec(
        key=dg.AssetKey(["marts", "sales_forecast"]),
        deps=_UPSTREAM,
        group_name="marts",
        kinds={"duckdb", "statsmodels"},
        description=(
            "Weekly net sales per channel (full ISO weeks): actuals, the backtest forecast of the last "
            "weeks of history and the forecast of the next weeks with 80% intervals. Method per channel: "
            "ETS(A,Ad,A) m=52 with 2+ years of training weeks, else Holt damped ETS(A,Ad,N) "
            "(pipelines/kpi/forecast.py)."
        ),
    ),
    dg.AssetSpec(
        key=dg.AssetKey(["marts", "sales_forecast_accuracy"]),
        deps=_UPSTREAM,
        group_name="marts",
        kinds={"duckdb", "statsmodels"},
        description="Backtest MAPE and WAPE per channel over the last forecast_backtest_weeks of history.",
    ),
]


def forecast_metadata(summary: dict[str, Any]) -> dict[str, object]:
    """Flat metadata: one method / MAPE / WAPE entry per channel, plus the whole summary as JSON."""
    metadata: dict[str, object] = {
        "channels": summary["channels"],
        "history_weeks": summary["history_weeks"],
        "last_full_week": summary["last_full_week"] or "none",
        "summary": dg.MetadataValue.json(summary),
    }
    for acc in summary["accuracy"]:
        channel = acc["channel_key"]
        metadata[f"{channel}_method"] = acc["method"]
        for metric in ("mape", "wape"):
            if acc[metric] is not None:
                metadata[f"{channel}_{metric}"] = dg.MetadataValue.float(round(acc[metric], 4))
    return metadata


@dg.multi_asset(specs=FORECAST_SPECS, pool=WAREHOUSE_POOL, name="sales_forecast_models")
def forecast_assets(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, kpi: KpiResource
) -> Iterator[dg.MaterializeResult]:
    settings = kpi.settings()
    with warehouse.connect() as con:
        summary = run_forecast(con, settings.forecast_weeks, settings.forecast_backtest_weeks)
    context.log.info(f"sales forecast: {summary}")
    metadata = forecast_metadata(summary)
    for spec in FORECAST_SPECS:
        yield dg.MaterializeResult(asset_key=spec.key, metadata=metadata)
