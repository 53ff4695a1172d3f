"""The Spark engine as a Dagster resource: the data directory's Spark build (CRM360_ENGINE=spark)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import dagster as dg

from pipelines.config import DBT_PROJECT_DIR, Settings
from pipelines.kpi.settings import KpiSettings
from pipelines.spark.dbt import SparkDbt, dbt_vars
from pipelines.spark.leg import SparkBuild, build_on_spark
from pipelines.spark.settings import SparkSettings
from quality.calibration import DistributionSettings


class SparkResource(dg.ConfigurableResource):
    """dbt's `spark` target on this data directory, with the run's dbt vars."""

    data_dir: str
    warehouse: str
    master: str
    driver_memory: str
    shuffle_partitions: int
    vars_json: str
    kpi_json: str  # KpiSettings.plain(): the Python marts computed on Spark
    distribution_json: str  # DistributionSettings' fields: the pandera rules run on Spark

    @classmethod
    def from_settings(cls, settings: Settings) -> SparkResource:
        spark = settings.spark
        return cls(
            data_dir=str(settings.data_dir),
            warehouse=str(settings.warehouse_path),
            master=spark.master,
            driver_memory=spark.driver_memory,
            shuffle_partitions=spark.shuffle_partitions,
            vars_json=json.dumps(dbt_vars(settings.kpi, settings.customer_ref_patterns), sort_keys=True),
            kpi_json=json.dumps(settings.kpi.plain(), sort_keys=True),
            distribution_json=json.dumps(asdict(settings.distribution), sort_keys=True),
        )

    def dbt(self) -> SparkDbt:
        spark = SparkSettings(self.master, self.driver_memory, self.shuffle_partitions)
        return SparkDbt(DBT_PROJECT_DIR, Path(self.data_dir), spark, json.loads(self.vars_json))

    def build(self, run_id: str | None = None) -> SparkBuild:
        """The Spark build; its checks are recorded in Spark's audit.check_results under run_id."""
        kpi = KpiSettings.from_plain(json.loads(self.kpi_json))
        distribution = DistributionSettings(**json.loads(self.distribution_json))
        return build_on_spark(self.dbt(), Path(self.warehouse), kpi, distribution, run_id=run_id)
