"""Predictive CLV asset: BG/NBD + Gamma-Gamma fitted in Python, written to three marts tables."""

from collections.abc import Iterator

import dagster as dg

from pipelines.defs.kpi_resource import KpiResource
from pipelines.defs.resources import WAREHOUSE_POOL, WarehouseResource
from pipelines.kpi.clv import ClvSummary, build_clv

_UPSTREAM = [
    dg.AssetKey(["core", "fct_order_lines"]),
    dg.AssetKey(["core", "fct_returns"]),
    dg.AssetKey(["core", "fct_interactions"]),
    dg.AssetKey(["core", "quality_gate"]),
]

CLV_SPECS = [
    dg.AssetSpec(
        key=dg.AssetKey(["marts", "clv_model_params"]),
        deps=_UPSTREAM,
        group_name="marts",
        kinds={"duckdb", "scipy"},
        description="BG/NBD (r, alpha, a, b) and Gamma-Gamma (p, q, gamma) maximum-likelihood estimates.",
    ),
    dg.AssetSpec(
        key=dg.AssetKey(["marts", "customer_clv"]),
        deps=_UPSTREAM,
        group_name="marts",
        kinds={"duckdb", "scipy"},
        description=(
            "Per customer: frequency, recency, T of the calibration window, expected transactions "
            "over the horizon, P(alive), expected spend per transaction, discounted CLV and clv_model "
            "(bgnbd_gamma_gamma, or historical_rate where BG/NBD cannot be trusted), and clv_net_profit: "
            "the CLV's margin after returns minus the cost to serve (pipelines/kpi/clv_profit.py)."
        ),
    ),
    dg.AssetSpec(
        key=dg.AssetKey(["marts", "clv_holdout"]),
        deps=_UPSTREAM,
        group_name="marts",
        kinds={"duckdb", "scipy"},
        description="Predicted against actual repeat transactions per period after the calibration end.",
    ),
]


def clv_metadata(summary: ClvSummary) -> dict[str, object]:
    """Flat metadata of the materialization: parameters, log-likelihoods, sizes, holdout totals."""
    metadata: dict[str, object] = {
        "calibration_end": summary.calibration_end.isoformat() if summary.calibration_end else "none",
        "time_unit": summary.time_unit,
        "n_customers": summary.n_customers,
        "n_repeat_customers": summary.n_repeat_customers,
        "holdout_predicted": summary.holdout_predicted,
        "holdout_actual": summary.holdout_actual,
        "total_clv": summary.total_clv,
        "total_clv_net_profit": summary.total_clv_net_profit or 0.0,
        "clv_models": dg.MetadataValue.json(summary.clv_models),
        "fallback_reasons": dg.MetadataValue.json(summary.fallback_reasons),
        "seconds": round(summary.seconds, 2),
        "summary": dg.MetadataValue.json(summary.as_dict()),
    }
    for model, params in (("bgnbd", summary.bgnbd), ("gamma_gamma", summary.gamma_gamma)):
        metadata.update({f"{model}_{name}": value for name, value in params.items()})
    for model, ll in (
        ("bgnbd", summary.bgnbd_log_likelihood),
        ("gamma_gamma", summary.gamma_gamma_log_likelihood),
    ):
        if ll is not None:
            metadata[f"{model}_log_likelihood"] = ll
    return metadata


@dg.multi_asset(specs=CLV_SPECS, pool=WAREHOUSE_POOL, name="clv_models")
def clv_assets(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, kpi: KpiResource
) -> Iterator[dg.MaterializeResult]:
    with warehouse.connect() as con:
        summary = build_clv(con, kpi.settings())
    for warning in summary.warnings:
        context.log.warning(f"clv: {warning}")
    context.log.info(f"clv: {summary.as_dict()}")
    metadata = clv_metadata(summary)
    for spec in CLV_SPECS:
        yield dg.MaterializeResult(asset_key=spec.key, metadata=metadata)
