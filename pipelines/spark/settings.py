"""The Spark engine's settings (CRM360_SPARK_*), read by pipelines/config.py like the other domains'."""

from __future__ import annotations

from dataclasses import dataclass

# The environment dbt's `spark` target reads (dbt_project/profiles.yml), set from these settings.
SPARK_DIR_ENV = "CRM360_SPARK_DIR"
MASTER_ENV = "CRM360_SPARK_MASTER"
DRIVER_MEMORY_ENV = "CRM360_SPARK_DRIVER_MEMORY"
SHUFFLE_PARTITIONS_ENV = "CRM360_SPARK_SHUFFLE_PARTITIONS"
ENGINE_ENV = "CRM360_ENGINE"
# duckdb: the embedded warehouse only. spark: the run also builds every dbt model in Spark's catalog
# from the same loads (pipelines/spark/leg.py, docs/scale-out.md).
ENGINES = ("duckdb", "spark")


def parse_engine(value: str | None) -> str:
    """CRM360_ENGINE's value, checked: unset or empty is duckdb."""
    engine = (value or ENGINES[0]).strip().lower()
    if engine not in ENGINES:
        raise ValueError(f"{ENGINE_ENV} must be one of {', '.join(ENGINES)}, not {value!r}")
    return engine


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
