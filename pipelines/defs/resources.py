"""Dagster resources: the DuckDB warehouse file (one writer at a time), the landing, and dbt."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, fields
from datetime import date
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource

from pipelines.config import Settings, from_environ
from pipelines.customer_refs import ref_patterns_dbt_vars
from pipelines.feeds import rules_json
from pipelines.identity.model import Predictor
from pipelines.identity.settings import IdentitySettings
from pipelines.spark.session import spark_dir
from pipelines.spark.settings import SparkSettings
from sources.connectors.web_api import PAGE_SIZE
from sources.contracts import Plausibility
from sources.ingest.file_days import FileDays
from sources.ingest.validate import parse_plausibility
from sources.lib.duck import MEMORY_LIMIT, open_warehouse
from sources.privacy.pseudonym import PSEUDONYM_KEY_ENV, load_key

PARTITIONS_START: date = next(f.default for f in fields(Settings) if f.name == "partitions_start")

# Every asset that writes the warehouse runs in this pool with a limit of 1: DuckDB allows one
# read-write process per file, and dbt runs as a second process (STACK_NOTES, dagster#18746).
WAREHOUSE_POOL = "duckdb_warehouse"


class WarehouseResource(dg.ConfigurableResource):
    """The DuckDB warehouse; `connect()` closes the file when the block ends so dbt can open it."""

    path: str
    memory_limit: str = MEMORY_LIMIT
    threads: int | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> WarehouseResource:
        return cls(
            path=str(settings.warehouse_path),
            memory_limit=settings.duckdb_memory_limit,
            threads=settings.duckdb_threads,
        )

    @contextmanager
    def connect(self, memory_limit: str | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
        """memory_limit overrides the resource's for a step that holds large Python arrays too."""
        con = open_warehouse(Path(self.path), memory_limit or self.memory_limit, self.threads)
        try:
            yield con
        finally:
            con.close()


class LandingResource(dg.ConfigurableResource):
    """Where the feeds land (a local folder) and, optionally, the web analytics API to pull from."""

    landing_dir: str
    web_api_url: str | None = None
    web_api_page_size: int = PAGE_SIZE
    state_dir: str = ""
    feeds_json: str = ""  # Settings.feeds (CRM360_FEEDS) as pipelines.feeds.rules_json; "" = defaults
    # Settings.plausibility (CRM360_SALES_SINCE, CRM360_MAX_AGE_YEARS); "" / None = the contracts' defaults
    sales_since: str = ""
    max_age_years: int | None = None
    # Settings.partitions_start and file_day_patterns: the event feeds' daily partitions of files
    partitions_start: str = ""  # "" = Settings' default
    day_patterns_json: str = "{}"
    # Settings.pseudonym_key and key_file: the key of the suppression list (sources/privacy/).
    pseudonym_key: str = ""  # "" = the key file
    pseudonym_key_file: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> LandingResource:
        return cls(
            pseudonym_key=secret_setting(PSEUDONYM_KEY_ENV, settings.pseudonym_key),
            pseudonym_key_file=str(settings.key_file),
            landing_dir=str(settings.landing_dir),
            feeds_json=rules_json(settings.feeds),
            web_api_url=settings.web_api_url,
            web_api_page_size=settings.web_api_page_size,
            state_dir=str(settings.data_dir / "state"),
            sales_since=settings.plausibility.sales_since.isoformat(),
            max_age_years=settings.plausibility.max_age_years,
            partitions_start=settings.partitions_start.isoformat(),
            day_patterns_json=json.dumps(settings.file_day_patterns, sort_keys=True),
        )

    def file_days(self) -> FileDays:
        """The first daily partition and each feed's day pattern (sources/ingest/file_days.py)."""
        first = date.fromisoformat(self.partitions_start) if self.partitions_start else PARTITIONS_START
        return FileDays(first, json.loads(self.day_patterns_json or "{}"))

    def plausibility(self) -> Plausibility:
        """The load-time bounds every raw asset passes to load_feed."""
        return parse_plausibility(self.sales_since, str(self.max_age_years or ""))

    def load_pseudonym_key(self) -> bytes:
        """The pseudonym key, as Settings.load_pseudonym_key gives it (the key file is made on first use)."""
        return load_key(self.pseudonym_key or None, Path(self.pseudonym_key_file))


def secret_setting(var: str, value: str | None) -> str | dg.EnvVar:
    """A secret for a resource: Dagster shows an EnvVar's name, never its value, in the UI. A value
    that does not come from the environment (settings built from another mapping, in tests) is
    passed as it is."""
    if not value:
        return ""
    return dg.EnvVar(var) if from_environ(var, value) else value


class DbtResource(DbtCliResource):
    """dagster-dbt's CLI resource plus what the pipeline's dbt builds leave out."""

    unit_tests: bool = False  # Settings.dbt_unit_tests
    # Settings.dbt_resident: dbt_executable is then the client of pipelines/defs/dbt_worker.
    resident: bool = False
    # dbt vars from the pipeline's own settings, as JSON (the KPI vars come from KpiResource):
    # customer_ref_patterns (pipelines/customer_refs.py).
    vars_json: str = "{}"

    @classmethod
    def settings_vars(cls, settings: Settings) -> str:
        """vars_json for `settings`: every dbt var that pipelines/config.py settings define."""
        return json.dumps(ref_patterns_dbt_vars(settings.customer_ref_patterns), sort_keys=True)

    def dbt_vars(self) -> dict[str, Any]:
        return json.loads(self.vars_json or "{}")

    def build_args(self) -> list[str]:
        """Arguments after `dbt build`: unit tests only when asked for (CRM360_DBT_UNIT_TESTS)."""
        return [] if self.unit_tests else ["--exclude-resource-type", "unit_test"]


class IdentityResource(dg.ConfigurableResource):
    """IdentitySettings (CRM360_IDENTITY_*) for the identity asset, as JSON of the dataclass's fields."""

    settings_json: str = "{}"  # "{}" = IdentitySettings' defaults
    # CRM360_ENGINE=spark: {"work": folder, "spark": SparkSettings' fields}; "" = Splink on DuckDB
    spark_json: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> IdentityResource:
        spark = ""
        if settings.engine == "spark":
            work = spark_dir(settings.data_dir) / "identity"
            spark = json.dumps({"work": str(work), "spark": asdict(settings.spark)}, sort_keys=True)
        return cls(settings_json=json.dumps(asdict(settings.identity), sort_keys=True), spark_json=spark)

    def settings(self) -> IdentitySettings:
        return IdentitySettings(**json.loads(self.settings_json or "{}"))

    def predictor(self) -> Predictor | None:
        """Where a full resolution's Splink prediction runs: None on DuckDB, else on Spark."""
        if not self.spark_json:
            return None
        from pipelines.spark.identity_predict import spark_predictor

        given = json.loads(self.spark_json)
        return spark_predictor(Path(given["work"]), SparkSettings(**given["spark"]))


class ServingResource(dg.ConfigurableResource):
    """Where a good run publishes the read-only copy for readers, whether as Parquet too, and whether with
    the `restricted` schema's contact tables."""

    dir: str
    parquet: bool = False
    contacts: bool = False

    @classmethod
    def from_settings(cls, settings: Settings) -> ServingResource:
        folder, parquet, contacts = settings.serving_dir, settings.serving_parquet, settings.serving_contacts
        return cls(dir=str(folder), parquet=parquet, contacts=contacts)
