"""Blocking check on marts.customer_clv: customers with a repeat purchase must get a finite CLV."""

import dagster as dg
import duckdb

from pipelines.defs.checks.common import to_asset_check_result
from pipelines.defs.kpi_resource import KpiResource
from pipelines.defs.resources import WAREHOUSE_POOL, WarehouseResource
from quality.results import ERROR, CheckResult, record_results

CHECK_NAME = "clv_finite_for_repeat_customers"
ASSET = "marts.customer_clv"

# NaN written from pandas lands as NULL; isfinite catches what arrives as NaN or +-inf anyway.
_COUNTS_SQL = """
    select
        count(*) filter (where frequency > 0 and (clv is null or not isfinite(clv))),
        count(*) filter (where frequency > 0)
    from marts.customer_clv
"""
_SAMPLE_SQL = """
    select customer_key, frequency, clv, clv_model from marts.customer_clv
    where frequency > 0 and (clv is null or not isfinite(clv))
    order by customer_key limit 5
"""


def clv_missing_result(con: duckdb.DuckDBPyConnection, max_share: float) -> CheckResult:
    """Failed (error) when more than max_share of the repeat customers have a NULL/non-finite clv.

    A missing table fails too: the CLV asset ran before this check, so no table means no CLV.
    """
    try:
        missing, repeat = con.execute(_COUNTS_SQL).fetchone()
    except duckdb.CatalogException as exc:
        return CheckResult(CHECK_NAME, ASSET, ERROR, False, None, {"error": str(exc)})
    share = missing / repeat if repeat else 0.0
    sample: dict[str, object] = {"repeat_customers": repeat, "share": share, "max_share": max_share}
    if missing:
        columns = ("customer_key", "frequency", "clv", "clv_model")
        sample["rows"] = [dict(zip(columns, row, strict=True)) for row in con.execute(_SAMPLE_SQL).fetchall()]
    return CheckResult(CHECK_NAME, ASSET, ERROR, share <= max_share, int(missing), sample)


@dg.asset_check(
    asset=dg.AssetKey(["marts", "customer_clv"]),
    name=CHECK_NAME,
    blocking=True,
    pool=WAREHOUSE_POOL,
    description=(
        "Fails (blocking the marts that read CLV) when more than CRM360_CLV_MAX_MISSING_SHARE of the "
        "customers with a repeat purchase have a NULL or non-finite clv in marts.customer_clv."
    ),
)
def clv_missing_check(
    context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource, kpi: KpiResource
) -> dg.AssetCheckResult:
    with warehouse.connect() as con:
        result = clv_missing_result(con, kpi.settings().clv_max_missing_share)
        record_results(con, [result], context.run.run_id)
    return to_asset_check_result(result)
