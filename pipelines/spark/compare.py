"""Compare Spark tables with the DuckDB warehouse's: row counts and rows, column by column.

Spark writes each table as Parquet; DuckDB reads those files beside the warehouse and counts the
rows each side has that the other lacks (EXCEPT ALL), with numbers rounded and timestamps in UTC,
so the two engines' float sums and time types compare.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from pipelines.spark.session import add_session_options, local_session, settings_of
from sources.lib.duck import table_columns

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DECIMALS = 6
# When a row was built (macro fact_built_at): differs between any two builds, on one engine or two.
BUILD_TIME_COLUMNS = frozenset({"_built_at"})


@dataclass(frozen=True)
class TableDiff:
    table: str
    duckdb_rows: int
    spark_rows: int
    only_duckdb: int  # rows (with multiplicity) DuckDB has and Spark lacks
    only_spark: int
    missing_columns: tuple[str, ...] = ()  # DuckDB columns the Spark table lacks

    @property
    def equal(self) -> bool:
        return not (self.only_duckdb or self.only_spark or self.missing_columns)


def export_spark(spark: SparkSession, tables: Iterable[str], out_dir: Path) -> None:
    """Each Spark `schema.table` as a Parquet folder `<out_dir>/<schema>.<table>`."""
    for name in tables:
        spark.table(name).write.mode("overwrite").parquet(str(out_dir / name))


def _normal(column: str, data_type: str) -> str:
    """The column as comparable text: numbers rounded, timestamps as UTC wall time."""
    quoted = f'"{column}"'
    kind = data_type.upper()
    if kind.startswith(("DOUBLE", "FLOAT", "REAL", "DECIMAL", "NUMERIC")):
        return f"cast(round(cast({quoted} as double), {DECIMALS}) as varchar)"
    if kind.startswith("TIMESTAMP"):
        return f"cast(cast({quoted} as timestamp) as varchar)"
    return f"cast({quoted} as varchar)"


def compare_table(
    warehouse: Path, table: str, parquet_dir: Path, ignore: frozenset[str] = frozenset()
) -> TableDiff:
    """DuckDB's `table` against the Spark export `<parquet_dir>/<table>`, without the `ignore` columns."""
    schema, name = table.split(".")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute("set TimeZone = 'UTC'")
        columns = table_columns(con, schema, name)
        if not columns:
            raise ValueError(f"{table} is not in the DuckDB file {warehouse}: nothing to compare with")
        files = f"'{parquet_dir / table}/*.parquet'"
        described = con.execute(f"describe select * from read_parquet({files})").fetchall()
        spark_columns = {row[0] for row in described}
        left_out = BUILD_TIME_COLUMNS | ignore
        shared = [(c, t) for c, t, _ in columns if c in spark_columns and c not in left_out]
        missing = tuple(c for c, _, _ in columns if c not in spark_columns)
        select = ", ".join(_normal(c, t) for c, t in shared)
        left = f'select {select} from "{schema}"."{name}"'
        right = f"select {select} from read_parquet({files})"
        counts = con.execute(
            f'select (select count(*) from "{schema}"."{name}"), '
            f"(select count(*) from read_parquet({files})), "
            f"(select count(*) from ({left} except all {right})), "
            f"(select count(*) from ({right} except all {left}))"
        ).fetchone()
    return TableDiff(table, *counts, missing_columns=missing)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True, help="the DuckDB file")
    parser.add_argument("--spark-dir", type=Path, required=True, help="metastore and warehouse folder")
    parser.add_argument("tables", nargs="+", help="schema.table names")
    add_session_options(parser)
    args = parser.parse_args(argv)
    out = args.spark_dir / "compare"
    spark = local_session(args.spark_dir, settings_of(args))
    try:
        export_spark(spark, args.tables, out)
    finally:
        spark.stop()
    diffs = [compare_table(args.warehouse, table, out) for table in args.tables]
    for diff in diffs:
        print(f"{'equal ' if diff.equal else 'DIFFER'} {diff.table} {diff!r}")
    return 0 if all(d.equal for d in diffs) else 1


if __name__ == "__main__":
    raise SystemExit(main())
