"""The local Spark session crm360 runs dbt in: one place for its settings (dbt's profile mirrors them)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.spark.settings import SparkSettings

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


def spark_dir(data_dir: Path) -> Path:
    """Where a data directory keeps Spark's metastore (Derby) and table files."""
    return data_dir / "spark"


def session_conf(folder: Path, settings: SparkSettings | None = None) -> dict[str, str]:
    """The settings of dbt's `spark` target (dbt_project/profiles.yml) as a SparkConf dict.

    Derby's metastore and the warehouse live in `folder`, so two data directories never share
    (and lock) one metastore_db. Sessions run in UTC like the DuckDB warehouse.
    """
    settings = settings or SparkSettings()
    return {
        "spark.master": settings.master,
        "spark.sql.warehouse.dir": str(folder / "warehouse"),
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            f"jdbc:derby:;databaseName={folder / 'metastore_db'};create=true"
        ),
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={folder}",
        "spark.sql.session.timeZone": "UTC",
        "spark.driver.memory": settings.driver_memory,
        "spark.sql.shuffle.partitions": str(settings.shuffle_partitions),
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
    }


def local_session(
    folder: Path, settings: SparkSettings | None = None, extra_conf: dict[str, str] | None = None
) -> SparkSession:
    """A Hive-enabled session on `folder`'s metastore (the one dbt's `spark` target opens).

    The process runs in UTC from here on, like the session (see the comment below).
    `extra_conf` adds settings that only this session needs (Splink's UDF jar in `spark.jars`);
    session_conf, which dbt's profile mirrors, stays as it is.
    """
    from pyspark.sql import SparkSession

    # Python workers (mapInPandas) run this interpreter, which has crm360 and its libraries;
    # PySpark reads the variable alone, not a Spark setting, when it starts the context.
    os.environ["PYSPARK_PYTHON"] = sys.executable
    # PySpark turns a TIMESTAMP into a Python datetime, and back, in the process's local time, not the
    # session's: outside UTC, campaign lift's launched_at came back shifted by the zone's offset.
    os.environ["TZ"] = "UTC"
    time.tzset()
    folder.mkdir(parents=True, exist_ok=True)
    builder = SparkSession.builder.appName("crm360").enableHiveSupport()
    for key, value in {**session_conf(folder, settings), **(extra_conf or {})}.items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def session_args(settings: SparkSettings) -> list[str]:
    """These settings as the options of a Spark step's command line (add_session_options reads them)."""
    return [
        "--master", settings.master, "--driver-memory", settings.driver_memory,
        "--shuffle-partitions", str(settings.shuffle_partitions),
    ]  # fmt: skip


def add_session_options(parser: argparse.ArgumentParser) -> None:
    """--master, --driver-memory, --shuffle-partitions, defaulting to SparkSettings'."""
    defaults = SparkSettings()
    parser.add_argument("--master", default=defaults.master, help="Spark master")
    parser.add_argument("--driver-memory", default=defaults.driver_memory, help="driver JVM heap")
    parser.add_argument("--shuffle-partitions", type=int, default=defaults.shuffle_partitions)


def settings_of(args: argparse.Namespace) -> SparkSettings:
    """The SparkSettings a step's parsed options give (see add_session_options)."""
    return SparkSettings(args.master, args.driver_memory, args.shuffle_partitions)


def clear_leftover_location(spark: SparkSession, schema: str, table: str) -> bool:
    """Remove the folder of a managed table the catalog does not hold; True when there was one.

    A step killed between dropping a table and registering its replacement leaves files where the
    table was, and Spark refuses to create a managed table over them (LOCATION_ALREADY_EXISTS).
    Through Hadoop's file system API, so it works where the warehouse is not a local folder.
    """
    if spark.catalog.tableExists(f"{schema}.{table}") or not spark.catalog.databaseExists(schema):
        return False
    path = spark._jvm.org.apache.hadoop.fs.Path(table_location(spark, schema, table))
    fs = path.getFileSystem(spark.sparkContext._jsc.hadoopConfiguration())
    return bool(fs.exists(path) and fs.delete(path, True))


def table_location(spark: SparkSession, schema: str, table: str) -> str:
    """Where the managed table `schema.table` keeps its files: its database's folder and its name."""
    return f"{spark.catalog.getDatabase(schema).locationUri.rstrip('/')}/{table.lower()}"
