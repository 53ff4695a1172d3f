"""Predictive CLV on Spark: fitted on counted statistics, every customer scored in the executors.

The per-customer summary stays a Spark DataFrame. Only the fits' inputs reach the driver: distinct
(x, t_x, T) rows and repeat customers' distinct (x, zbar) rows, each with a count. The fitted
PricingPlan is shipped to the executors, which score their customers with mapInPandas; the net-profit
columns are the DuckDB asset's own SQL, as a select instead of an update. The SQL is the DuckDB
asset's, transpiled by sqlglot, and the fit and scoring are the same Python, so the tables equal DuckDB's.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from datetime import date
from typing import TYPE_CHECKING, Any

from pipelines.kpi.bgnbd import BgNbdParams
from pipelines.kpi.clv import DDL, HOLDOUT_ACTUALS_SQL, SUMMARY_SQL, choose_calibration_end
from pipelines.kpi.clv_fallback import PricingPlan, score
from pipelines.kpi.clv_fit import (
    PAIRS_SQL,
    TRIPLES_SQL,
    ClvStats,
    ClvSummary,
    close_summary,
    fit_models,
    holdout_frame,
)
from pipelines.kpi.clv_math import holdout_prediction, unit_days
from pipelines.kpi.clv_profit import PROFIT_COLUMNS, SELECT_SQL, profit_params, rates_sql
from pipelines.kpi.settings import KpiSettings
from pipelines.spark.kpi_marts import run_step, spark_sql, write_table
from pipelines.spark.session import clear_leftover_location

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import DataFrame, SparkSession

COMPUTED = ("marts.clv_model_params", "marts.customer_clv", "marts.clv_holdout")
SCORED = "crm360_clv_scored"  # the temp view the net-profit SQL reads the scored customers from


def ddl_columns(ddl: str) -> list[tuple[str, str]]:
    """A DDL column list, `(name TYPE, ...)`, as (name, type) pairs."""
    parts = [part.split(None, 1) for part in ddl.strip().strip("()").split(",")]
    return [(name.strip('"'), kind.strip()) for name, kind in parts]


def spark_literal(value: Any) -> str:
    """A parameter of the DuckDB SQL as a Spark SQL literal (floats stay doubles, not decimals)."""
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, float):
        return f"CAST({value!r} AS DOUBLE)"
    if isinstance(value, int):
        return str(value)
    raise TypeError(f"no Spark literal for {value!r}")


def with_params(duckdb_sql: str, params: dict[str, Any]) -> str:
    """The DuckDB SQL with its $parameters written in as literals, in Spark SQL."""
    return spark_sql(re.sub(r"\$(\w+)", lambda m: spark_literal(params[m.group(1)]), duckdb_sql))


def scorer(plan: PricingPlan, fixed: dict[str, Any]) -> Callable[[Iterator[pd.DataFrame]], Iterator]:
    """The mapInPandas function: each batch of customers scored with the one plan."""
    import pandas as pd

    def score_batches(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        for batch in batches:
            x, t_x = batch["frequency"].to_numpy(float), batch["recency"].to_numpy(float)
            T, zbar = batch["T"].to_numpy(float), batch["monetary_value"].to_numpy(float)
            values = score(plan, x, t_x, T, zbar)
            # NaN is NULL, as DuckDB reads it from a frame (p_alive of the historical rate)
            numbers = {k: pd.Series(v).astype("Float64") for k, v in values.items() if k != "clv_model"}
            out = batch.reset_index(drop=True).assign(**numbers, clv_model=values["clv_model"], **fixed)
            yield out.astype({"frequency": "int32", "horizon": "int32"})

    return score_batches


def core_columns(spark: SparkSession) -> Callable[[str], set[str]]:
    def columns(table: str) -> set[str]:
        name = f"core.{table}"
        return {c.lower() for c in spark.table(name).columns} if spark.catalog.tableExists(name) else set()

    return columns


def write_empty(spark: SparkSession) -> None:
    for table in COMPUTED:
        write_table(spark, table, ddl_columns(DDL[table.split(".")[1]]), [])


def write_customers(spark: SparkSession, scored: DataFrame, settings: KpiSettings, cal_end: date) -> None:
    """marts.customer_clv: the scored customers with the net-profit columns."""
    scored.createOrReplaceTempView(SCORED)
    sql = SELECT_SQL.format(rates=rates_sql(core_columns(spark), clv=SCORED), clv=SCORED)
    final = spark.sql(with_params(sql, profit_params(settings, cal_end)))
    spark.sql("create database if not exists marts")
    clear_leftover_location(spark, "marts", "customer_clv")
    final.write.mode("overwrite").format("parquet").saveAsTable("marts.customer_clv")


def build_clv(spark: SparkSession, settings: KpiSettings) -> ClvSummary:
    """The three CLV tables from Spark's core.fct_order_lines (and returns, interactions for profit)."""
    started = time.perf_counter()
    days = unit_days(settings.clv_time_unit)
    last_day = spark.sql("select max(cast(transaction_at as date)) from core.fct_order_lines").first()[0]
    cal_end = choose_calibration_end(settings, last_day)
    summary = ClvSummary(cal_end, settings.clv_time_unit, settings.clv_horizon)
    stats = None
    if cal_end is not None:
        frame = spark.sql(with_params(SUMMARY_SQL, {"calibration_end": cal_end, "unit_days": float(days)}))
        frame = frame.persist()
        frame.createOrReplaceTempView("crm360_clv_summary")
        triples = spark.sql(TRIPLES_SQL.format(summary="crm360_clv_summary")).toPandas()
        pairs = spark.sql(PAIRS_SQL.format(summary="crm360_clv_summary")).toPandas()
        stats = ClvStats.counted(
            triples.iloc[:, :3].to_numpy(), triples["n"], pairs.iloc[:, :2].to_numpy(), pairs["n"]
        )
    if stats is None or not stats.has_repeat():
        summary.warnings.append("no repeat transactions in the calibration window: CLV tables left empty")
        write_empty(spark)
        summary.seconds = time.perf_counter() - started
        return summary

    bg_fit, plan, params = fit_models(stats, settings, summary)
    fixed = {"calibration_end": cal_end, "time_unit": settings.clv_time_unit, "horizon": settings.clv_horizon}
    # the model's columns: customer_clv's but the net-profit ones, which write_customers adds
    profit = {name for name, _ in ddl_columns(PROFIT_COLUMNS)}
    model_columns = [(n, k) for n, k in ddl_columns(DDL["customer_clv"]) if n not in profit]
    schema = ", ".join(f"`{n}` {k}" for n, k in model_columns)
    scored = frame.mapInPandas(scorer(plan, fixed), schema=schema.replace("VARCHAR", "STRING")).persist()
    counts = {
        r["clv_model"]: int(r["n"])
        for r in scored.groupBy("clv_model").count().withColumnRenamed("count", "n").collect()
    }
    close_summary(summary, plan, dict(sorted(counts.items())))
    write_customers(spark, scored, settings, cal_end)

    span = (last_day - cal_end).days / days
    prediction = holdout_prediction(BgNbdParams(*bg_fit.values), *stats.triples.T, span, stats.triple_counts)
    actual_sql = with_params(HOLDOUT_ACTUALS_SQL, {"calibration_end": cal_end, "unit_days": days})
    actuals = {int(k): int(n) for k, n in spark.sql(actual_sql).collect()}
    holdout = holdout_frame(prediction, actuals, cal_end, days, summary)
    names = [n for n, _ in ddl_columns(DDL["clv_model_params"])]
    write_table(
        spark,
        "marts.clv_model_params",
        ddl_columns(DDL["clv_model_params"]),
        [dict(zip(names, r, strict=True)) for r in params],
    )
    write_table(spark, "marts.clv_holdout", ddl_columns(DDL["clv_holdout"]), holdout.to_dict("records"))
    totals = spark.sql("select sum(clv), sum(clv_net_profit) from marts.customer_clv").first()
    summary.total_clv, summary.total_clv_net_profit = float(totals[0]), totals[1]
    summary.seconds = time.perf_counter() - started
    return summary


def main(argv: list[str] | None = None) -> None:
    run_step(__doc__, argv, lambda spark, settings: build_clv(spark, settings).as_dict())


if __name__ == "__main__":
    main()
