"""Land the loaded raw rows in Spark's raw tables, each load exactly once, checked against the ledger.

The loader (sources/ingest) validates every landing file into the DuckDB warehouse and records it in
audit.load_ledger: rows read = rows loaded + rows quarantined, quarantined rows and files beside.
Spark takes the loaded rows from there. Its raw tables are Parquet tables partitioned by `_load_id`,
and each sync overwrites exactly the partitions of the loads it copies (dynamic partition
overwrite): a sync killed halfway and run again rewrites those loads instead of doubling them. A
load is done when its partition holds the ledger's rows_loaded and the revision last copied; a load
whose count differs (a crash) or whose raw rows were changed since (an erasure records a revision,
sources/ingest/revisions.py) is copied again. The step also clears the samples of Spark's recorded
checks older than the warehouse's last erasure (pipelines/spark/audit.py), as it cleared DuckDB's.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from pipelines.spark.audit import clear_samples_before
from pipelines.spark.session import add_session_options, clear_leftover_location, local_session, settings_of
from sources.feeds import FEEDS
from sources.ingest.revisions import load_revisions
from sources.lib.duck import table_exists

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

PARTITION = "_load_id"
SAMPLES_CLEARED = "audit_samples_cleared"  # the step's last JSON line: check samples an erasure cleared
REVISIONS_FILE = "revisions.json"  # feed -> load -> the revision its Spark partition holds


@dataclass(frozen=True)
class FeedSync:
    feed: str
    loads_copied: int
    rows_copied: int
    loads_in_spark: int  # after the sync, all equal to the ledger


def ledger_loads(con: duckdb.DuckDBPyConnection, feed: str) -> dict[str, int]:
    """load_id -> rows_loaded of the feed's loads that put rows in raw."""
    rows = con.execute(
        "select load_id, rows_loaded from audit.load_ledger where feed = ? and rows_loaded > 0", [feed]
    ).fetchall()
    return dict(rows)


def spark_loads(spark: SparkSession, feed: str) -> dict[str, int]:
    """load_id -> rows of the feed's Spark raw table ({} when it does not exist yet)."""
    if not spark.catalog.tableExists(f"raw.{feed}"):
        return {}
    rows = spark.sql(f"select {PARTITION}, count(*) from raw.`{feed}` group by 1").collect()
    return {row[0]: row[1] for row in rows}


def loads_to_copy(
    ledger: dict[str, int],
    in_spark: dict[str, int],
    revised: dict[str, int] | None = None,
    copied: dict[str, int] | None = None,
) -> list[str]:
    """Loads missing from Spark, holding another row count than the ledger says, or revised since
    they were copied (revised: load -> revisions in DuckDB; copied: load -> revision Spark holds)."""
    revised, copied = revised or {}, copied or {}
    return sorted(
        load
        for load, rows in ledger.items()
        if in_spark.get(load) != rows or revised.get(load, 0) != copied.get(load, 0)
    )


def _copied_revisions(work: Path) -> dict[str, dict[str, int]]:
    path = work / REVISIONS_FILE
    return json.loads(path.read_text()) if path.exists() else {}


def _save_revisions(work: Path, feed: str, revisions: dict[str, int]) -> None:
    """Written after the feed's partitions are verified: a crash before it copies those loads again."""
    state = {**_copied_revisions(work), feed: revisions}
    tmp = work / (REVISIONS_FILE + ".tmp")
    tmp.write_text(json.dumps(state, sort_keys=True))
    tmp.replace(work / REVISIONS_FILE)


def _export(con: duckdb.DuckDBPyConnection, feed: str, loads: list[str], path: Path) -> None:
    con.execute(
        f'copy (select * from raw."{feed}" where {PARTITION} in (select unnest(?::varchar[]))) '
        f"to '{path}' (format parquet)",
        [loads],
    )


def _write(spark: SparkSession, feed: str, path: Path) -> None:
    """Overwrite the partitions of the loads in `path`; create the table, or add new columns, first."""
    batch = spark.read.parquet(str(path))
    table = f"raw.`{feed}`"
    if not spark.catalog.tableExists(f"raw.{feed}"):
        clear_leftover_location(spark, "raw", feed)  # a partition left there is copied again below
        batch.limit(0).write.format("parquet").partitionBy(PARTITION).saveAsTable(table)
    known = {field.name for field in spark.table(table).schema.fields}
    added = [f for f in batch.schema.fields if f.name not in known]
    if added:
        columns = ", ".join(f"`{f.name}` {f.dataType.simpleString()}" for f in added)
        spark.sql(f"alter table {table} add columns ({columns})")
    order = [field.name for field in spark.table(table).schema.fields]
    batch.select(*order).write.mode("overwrite").insertInto(table)


def sync_feed(con: duckdb.DuckDBPyConnection, spark: SparkSession, feed: str, work: Path) -> FeedSync:
    """Copy the feed's loads Spark lacks; raise when a load's count then still differs."""
    ledger = ledger_loads(con, feed) if table_exists(con, "raw", feed) else {}
    revised = {load: n for load, n in load_revisions(con, feed).items() if load in ledger}
    copy = loads_to_copy(ledger, spark_loads(spark, feed), revised, _copied_revisions(work).get(feed, {}))
    if copy:
        path = work / f"{feed}.parquet"
        _export(con, feed, copy, path)
        _write(spark, feed, path)
    in_spark = spark_loads(spark, feed)
    wrong = loads_to_copy(ledger, in_spark)
    if wrong:
        raise RuntimeError(
            f"raw sync of feed {feed}: Spark's raw.{feed} does not hold the ledger's rows for loads "
            + ", ".join(f"{load} ({in_spark.get(load, 0)} of {ledger[load]})" for load in wrong[:5])
        )
    _save_revisions(work, feed, revised)
    return FeedSync(feed, len(copy), sum(ledger[load] for load in copy), len(in_spark))


def sync_raw(
    warehouse: Path, spark: SparkSession, work: Path, feeds: list[str] | None = None
) -> list[FeedSync]:
    """Every feed's new loads from the DuckDB warehouse into Spark's raw schema."""
    work.mkdir(parents=True, exist_ok=True)
    spark.conf.set("spark.sql.sources.partitionOverwriteMode", "dynamic")
    spark.sql("create database if not exists raw")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return [sync_feed(con, spark, feed, work) for feed in (feeds or list(FEEDS))]


def last_erasure(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """When the warehouse last erased a person (audit.erasure_log), in UTC; None if never."""
    if not table_exists(con, "audit", "erasure_log"):
        return None
    (last,) = con.execute("select max(erased_at) from audit.erasure_log").fetchone()
    return last.astimezone(UTC) if last else None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True, help="the DuckDB file the loader wrote")
    parser.add_argument("--spark-dir", type=Path, required=True, help="metastore and warehouse folder")
    parser.add_argument("--feed", action="append", help="only these feeds (default: all)")
    add_session_options(parser)
    args = parser.parse_args(argv)
    spark = local_session(args.spark_dir, settings_of(args))
    try:
        for result in sync_raw(args.warehouse, spark, args.spark_dir / "raw_sync", args.feed):
            print(json.dumps(asdict(result)))
        with duckdb.connect(str(args.warehouse), read_only=True) as con:
            erased_at = last_erasure(con)
        cleared = clear_samples_before(spark, erased_at) if erased_at else 0
        print(json.dumps({SAMPLES_CLEARED: cleared}))
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
