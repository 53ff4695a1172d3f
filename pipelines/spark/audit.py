"""Spark's audit.check_results: the checks of each Spark build (pandera and dbt tests), in its catalog.

DuckDB's runs record their checks in the DuckDB file's audit.check_results (quality/results.py);
a Spark build reads that file and never writes it, so its own checks go to a table of the same
columns in Spark's catalog, where a cluster's readers look. It is partitioned by (run_id, stage)
and each stage's results overwrite only their own partition: a gate step run again in the same
run replaces its rows instead of doubling them. A write killed before its commit leaves the
partition as it was; one killed inside the commit (old folder deleted, new one not yet moved in)
leaves that stage's partition empty, the other runs' intact, and the stage run again rewrites it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.spark.session import table_location
from quality.results import CheckResult, dbt_results_to_check_results, sample_json

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

TABLE = "audit.check_results"
# DuckDB's columns (quality/results.py: CHECK_RESULTS_DDL), then the partition: Spark's build stage.
COLUMNS = (
    ("check_name", "string"),
    ("asset", "string"),
    ("severity", "string"),
    ("passed", "boolean"),
    ("failing_rows", "bigint"),
    ("sample", "string"),
    ("checked_at", "timestamp"),
    ("run_id", "string"),
    ("stage", "string"),
)
PARTITION = ("run_id", "stage")
# Dagster's run ids (uuids) and the stage names: safe as partition values and in a SQL literal.
_PARTITION_VALUE = re.compile(r"[A-Za-z0-9_-]+")


def dbt_checks(target: Path, run_id: str) -> list[CheckResult]:
    """The data and unit tests of the dbt invocation whose artifacts are in `target`."""
    results = target / "run_results.json"
    if not results.exists():
        return []
    manifest = target / "manifest.json"
    return dbt_results_to_check_results(
        json.loads(results.read_text()),
        run_id,
        json.loads(manifest.read_text()) if manifest.exists() else None,
    )


def rows(results: Iterable[CheckResult]) -> list[tuple]:
    """The non-partition columns but checked_at, which Spark stamps."""
    return [
        (r.check_name, r.asset, r.severity, bool(r.passed), r.failing_rows, sample_json(r.sample))
        for r in results
    ]


def ensure_table(spark: SparkSession) -> None:
    """Create audit.check_results where it is missing from the catalog, keeping what its folder holds.

    The table is external, at the place a managed one would be: its files outlive its catalog entry
    (a metastore rebuilt, a first creation killed after making its folder), where a managed table's
    creation refuses such a folder and dropping it would lose the checks of earlier runs.
    The partitions found there are registered again; files outside a partition folder are not read.
    """
    spark.sql("create database if not exists audit")
    if spark.catalog.tableExists(TABLE):
        add_missing_columns(spark)
        return
    columns, partition = ", ".join(f"{name} {kind}" for name, kind in COLUMNS), ", ".join(PARTITION)
    location = table_location(spark, *TABLE.split(".")).replace("\\", "\\\\").replace("'", "\\'")
    spark.sql(
        f"create table {TABLE} ({columns}) using parquet partitioned by ({partition}) location '{location}'"
    )
    spark.sql(f"msck repair table {TABLE}")


def add_missing_columns(spark: SparkSession) -> None:
    """Add the columns a table made by an older release lacks; Spark puts them after its others."""
    held = {c.lower() for c in spark.table(TABLE).columns}
    missing = [f"{name} {kind}" for name, kind in COLUMNS if name not in held]
    if missing:
        spark.sql(f"alter table {TABLE} add columns ({', '.join(missing)})")


def record_checks(spark: SparkSession, results: Iterable[CheckResult], run_id: str, stage: str) -> int:
    """Replace the (run_id, stage) partition of audit.check_results with these results; their count."""
    for value in (run_id, stage):
        if not _PARTITION_VALUE.fullmatch(value):
            raise ValueError(f"{TABLE}: {value!r} is not a run id or stage (letters, digits, '-', '_')")
    from pyspark.sql import functions as F

    ensure_table(spark)
    spark.conf.set("spark.sql.sources.partitionOverwriteMode", "dynamic")
    data = rows(results)
    if not data:
        spark.sql(f"alter table {TABLE} drop if exists partition (run_id = '{run_id}', stage = '{stage}')")
        # an external table's dropped partition keeps its files, which a later repair would register again
        folder = f"{table_location(spark, *TABLE.split('.'))}/run_id={run_id}/stage={stage}"
        path = spark._jvm.org.apache.hadoop.fs.Path(folder)
        path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration()).delete(path, True)
        return 0
    schema = ", ".join(f"{name} {kind}" for name, kind in COLUMNS[:6])
    frame = spark.createDataFrame(data, schema).select(
        "*",
        F.current_timestamp().alias("checked_at"),
        F.lit(run_id).alias("run_id"),
        F.lit(stage).alias("stage"),
    )
    # insertInto matches by position: the table's order, which differs where columns were added
    frame.select(*spark.table(TABLE).columns).write.insertInto(TABLE, overwrite=True)
    return len(data)


def clear_samples_before(spark: SparkSession, erased_at: datetime) -> int:
    """Null the samples of the checks recorded before an erasure; how many were cleared.

    A sample can hold the erased person's rows, and which ones cannot be known here (the erasure
    keeps no identifiers), so every sample older than the erasure goes; DuckDB's erasure sweeps its
    own audit table. The results themselves stay. Only the partitions holding such samples are
    rewritten, from a checkpoint: Spark cannot overwrite a table while it reads the same files.
    """
    if not spark.catalog.tableExists(TABLE):
        return 0
    from pyspark.sql import functions as F

    stale = F.col("sample").isNotNull() & (F.col("checked_at") < F.lit(erased_at.astimezone(UTC)))
    table = spark.table(TABLE)
    touched = table.where(stale).select(*PARTITION).distinct()
    rows = table.join(touched, list(PARTITION), "left_semi").localCheckpoint()
    cleared = rows.where(stale).count()
    if cleared:
        spark.conf.set("spark.sql.sources.partitionOverwriteMode", "dynamic")
        scrubbed = rows.withColumn("sample", F.when(stale, F.lit(None)).otherwise(F.col("sample")))
        scrubbed.select(*table.columns).write.insertInto(TABLE, overwrite=True)
    return cleared
