"""The Python KPI marts on Spark: campaign lift and the sales forecast from Spark's own tables.

Their inputs are small aggregates Spark computes (a row per campaign, a row per channel and week);
only those reach Python, and the results go back as managed Parquet tables. The input SQL is the
DuckDB assets' own, transpiled by sqlglot, so one definition serves both engines. CLV has its
own step (pipelines/spark/clv.py).
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.kpi.campaign_lift import COLUMNS as LIFT_COLUMNS
from pipelines.kpi.campaign_lift import INPUT_SQL, lift_rows, lift_summary
from pipelines.kpi.forecast import (
    ACCURACY_COLUMNS,
    FORECAST_COLUMNS,
    WEEKLY_SQL,
    forecast_frames,
    forecast_summary,
)
from pipelines.kpi.settings import KpiSettings
from pipelines.spark.session import add_session_options, clear_leftover_location, local_session, settings_of

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# What this step writes (pipelines/spark/leg.py's COMPUTED adds CLV's).
COMPUTED = ("marts.kpi_campaign_lift", "marts.sales_forecast", "marts.sales_forecast_accuracy")
_SPARK_TYPES = {"VARCHAR": "STRING"}
_CASTS = {"DOUBLE": float, "INTEGER": int, "BIGINT": int}


def spark_sql(duckdb_sql: str) -> str:
    """A DuckDB query of the Python marts in Spark SQL."""
    import sqlglot

    return sqlglot.transpile(duckdb_sql, read="duckdb", write="spark")[0]


def spark_ddl(columns: list[tuple[str, str]]) -> str:
    """The DuckDB column types the Python marts declare, as a Spark schema string."""
    return ", ".join(f"`{name}` {_SPARK_TYPES.get(kind, kind)}" for name, kind in columns)


def plain_value(value: Any, kind: str) -> Any:
    """A pandas/numpy value as the Python value Spark's schema accepts; NaN and NaT are NULL, as
    DuckDB reads them from a frame."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item"):  # numpy scalars
        value = value.item()
    if value is not None and kind in _CASTS:
        value = _CASTS[kind](value)
    return value


def write_table(spark: SparkSession, table: str, columns: list[tuple[str, str]], rows: list[dict]) -> None:
    """Replace `schema.table` with these rows (a few per campaign or channel-week)."""
    data = [tuple(plain_value(row[name], kind) for name, kind in columns) for row in rows]
    frame = spark.createDataFrame(data, schema=spark_ddl(columns))
    schema, name = table.split(".")
    spark.sql(f"create database if not exists `{schema}`")
    clear_leftover_location(spark, schema, name)
    frame.write.mode("overwrite").format("parquet").saveAsTable(table)


def campaign_lift(spark: SparkSession, settings: KpiSettings) -> dict[str, Any]:
    """marts.kpi_campaign_lift from Spark's marts.kpi_campaign_performance."""
    campaigns = [row.asDict() for row in spark.sql(spark_sql(INPUT_SQL)).collect()]
    rows = lift_rows(campaigns, settings)
    write_table(spark, "marts.kpi_campaign_lift", LIFT_COLUMNS, rows)
    return lift_summary(rows)


def sales_forecast(spark: SparkSession, settings: KpiSettings) -> dict[str, Any]:
    """marts.sales_forecast and sales_forecast_accuracy from Spark's core.fct_order_lines."""
    weekly = spark.sql(spark_sql(WEEKLY_SQL)).toPandas()
    forecast, accuracy = forecast_frames(weekly, settings.forecast_weeks, settings.forecast_backtest_weeks)
    for table, columns, frame in (
        ("marts.sales_forecast", FORECAST_COLUMNS, forecast),
        ("marts.sales_forecast_accuracy", ACCURACY_COLUMNS, accuracy),
    ):
        write_table(spark, table, list(columns.items()), frame.to_dict("records"))
    return forecast_summary(forecast, accuracy)


def run_step(doc: str, argv: list[str] | None, compute: Callable[[SparkSession, KpiSettings], dict]) -> None:
    """A Python-mart step's command line: open the session, compute, print the summary as JSON."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--spark-dir", type=Path, required=True, help="metastore and warehouse folder")
    parser.add_argument("--kpi", required=True, help="KpiSettings.plain() as JSON")
    add_session_options(parser)
    args = parser.parse_args(argv)
    settings = KpiSettings.from_plain(json.loads(args.kpi))
    spark = local_session(args.spark_dir, settings_of(args))
    try:
        summary = compute(spark, settings)
    finally:
        spark.stop()
    print(json.dumps(summary, default=str))


def both_marts(spark: SparkSession, settings: KpiSettings) -> dict[str, Any]:
    return {
        "kpi_campaign_lift": campaign_lift(spark, settings),
        "sales_forecast": sales_forecast(spark, settings),
    }


def main(argv: list[str] | None = None) -> None:
    run_step(__doc__, argv, both_marts)


if __name__ == "__main__":
    main()
