"""The local Spark session crm360 runs dbt in: one place for its settings (dbt's profile mirrors them)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

SPARK_DIR_ENV = "CRM360_SPARK_DIR"
MASTER_ENV = "CRM360_SPARK_MASTER"
DRIVER_MEMORY_ENV = "CRM360_SPARK_DRIVER_MEMORY"
SHUFFLE_PARTITIONS_ENV = "CRM360_SPARK_SHUFFLE_PARTITIONS"


def spark_dir(data_dir: Path) -> Path:
    """Where a data directory keeps Spark's metastore (Derby) and table files."""
    return data_dir / "spark"


def session_conf(folder: Path, env: dict[str, str] | None = None) -> dict[str, str]:
    """The settings of dbt's `spark` target (dbt_project/profiles.yml) as a SparkConf dict.

    Derby's metastore and the warehouse live in `folder`, so two data directories never share
    (and lock) one metastore_db. Sessions run in UTC like the DuckDB warehouse.
    """
    env = dict(os.environ if env is None else env)
    return {
        "spark.master": env.get(MASTER_ENV) or "local[*]",
        "spark.sql.warehouse.dir": str(folder / "warehouse"),
        "spark.hadoop.javax.jdo.option.ConnectionURL": (
            f"jdbc:derby:;databaseName={folder / 'metastore_db'};create=true"
        ),
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={folder}",
        "spark.sql.session.timeZone": "UTC",
        "spark.driver.memory": env.get(DRIVER_MEMORY_ENV) or "2g",
        "spark.sql.shuffle.partitions": env.get(SHUFFLE_PARTITIONS_ENV) or "4",
        "spark.ui.enabled": "false",
    }


def local_session(folder: Path, env: dict[str, str] | None = None) -> SparkSession:
    """A Hive-enabled session on `folder`'s metastore (the one dbt's `spark` target opens)."""
    from pyspark.sql import SparkSession

    folder.mkdir(parents=True, exist_ok=True)
    builder = SparkSession.builder.appName("crm360").enableHiveSupport()
    for key, value in session_conf(folder, env).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()
