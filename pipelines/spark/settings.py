"""The Spark engine's settings (CRM360_SPARK_*), read by pipelines/config.py like the other domains'."""

from __future__ import annotations

from dataclasses import dataclass

# The environment dbt's `spark` target reads (dbt_project/profiles.yml), set from these settings.
SPARK_DIR_ENV = "CRM360_SPARK_DIR"
MASTER_ENV = "CRM360_SPARK_MASTER"
DRIVER_MEMORY_ENV = "CRM360_SPARK_DRIVER_MEMORY"
SHUFFLE_PARTITIONS_ENV = "CRM360_SPARK_SHUFFLE_PARTITIONS"


@dataclass(frozen=True)
class SparkSettings:
    # local[*]: Spark inside the dbt process on this machine's cores; a cluster is reached through
    # another dbt target (docs/scale-out.md), not this one.
    master: str = "local[*]"
    driver_memory: str = "2g"
    # Spark's default of 200 shuffle partitions makes thousands of tiny tasks for a small warehouse.
    shuffle_partitions: int = 4

    def environ(self) -> dict[str, str]:
        """These settings as the variables profiles.yml reads."""
        return {
            MASTER_ENV: self.master,
            DRIVER_MEMORY_ENV: self.driver_memory,
            SHUFFLE_PARTITIONS_ENV: str(self.shuffle_partitions),
        }
