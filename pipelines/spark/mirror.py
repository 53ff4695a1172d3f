"""Copy DuckDB tables into Spark's catalog through Parquet: the tables a Spark dbt build reads.

The engine does the copying: DuckDB writes each table as Parquet, Spark reads it into a managed
table; no row passes through Python.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from pipelines.spark.session import add_session_options, clear_leftover_location, local_session, settings_of
from sources.lib.duck import list_tables

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


CLEARED = "cleared"  # the stdout line of a leftover folder removed; every other line names a table copied


def schema_tables(warehouse: Path, schemas: list[str]) -> list[str]:
    """Every `schema.table` of those schemas in the DuckDB file."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return [f"{schema}.{table}" for schema, table in list_tables(con, schemas)]


def export_parquet(warehouse: Path, tables: Iterable[str], out_dir: Path) -> list[Path]:
    """Write each `schema.table` of the DuckDB file as `<out_dir>/<schema>.<table>.parquet`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        for name in tables:
            schema, table = name.split(".")
            path = out_dir / f"{schema}.{table}.parquet"
            con.execute(f'copy (select * from "{schema}"."{table}") to \'{path}\' (format parquet)')
            written.append(path)
    return written


def register_tables(spark: SparkSession, files: Iterable[Path]) -> list[str]:
    """One managed Parquet table per file, named by the file (`schema.table.parquet`); replaces."""
    names = []
    for path in files:
        schema, table = path.name.removesuffix(".parquet").split(".")
        spark.sql(f"create database if not exists `{schema}`")
        spark.sql(f"drop table if exists `{schema}`.`{table}`")
        clear_leftover_location(spark, schema, table)
        spark.read.parquet(str(path)).write.format("parquet").saveAsTable(f"`{schema}`.`{table}`")
        names.append(f"{schema}.{table}")
    return names


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True, help="the DuckDB file")
    parser.add_argument("--spark-dir", type=Path, required=True, help="metastore and warehouse folder")
    parser.add_argument("--schema", action="append", default=[], help="copy every table of this schema")
    parser.add_argument("tables", nargs="*", help="schema.table names")
    parser.add_argument(
        "--clear-leftover", action="append", default=[], metavar="SCHEMA.TABLE",
        help="remove this table's folder when the catalog lacks the table (what a killed build left)",
    )  # fmt: skip
    add_session_options(parser)
    args = parser.parse_args(argv)
    tables = [*schema_tables(args.warehouse, args.schema), *args.tables]
    files = export_parquet(args.warehouse, tables, args.spark_dir / "parquet")
    spark = local_session(args.spark_dir, settings_of(args))
    try:
        for name in args.clear_leftover:
            if clear_leftover_location(spark, *name.split(".")):
                print(f"{CLEARED} {name}")
        for name in register_tables(spark, files):
            print(name)
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
