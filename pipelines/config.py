"""One place for crm360 configuration: CRM360_* environment variables, overridden by CLI flags."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields, replace
from datetime import date
from pathlib import Path
from typing import Any

from pipelines.config_vars import ENV_VARS
from pipelines.customer_refs import RefPatterns, parse_ref_patterns
from pipelines.feeds import FeedRule, parse_feed_rules
from pipelines.identity.settings import IdentitySettings
from pipelines.kpi.dashboard.formatting import DEFAULT_CURRENCY, currency_code
from pipelines.kpi.settings import KpiSettings
from pipelines.spark.settings import (
    DRIVER_MEMORY_ENV,
    ENGINE_ENV,
    MASTER_ENV,
    SHUFFLE_PARTITIONS_ENV,
    SparkSettings,
    parse_engine,
)
from quality.calibration import DistributionSettings, distribution_settings
from sources.connectors.web_api import PAGE_SIZE
from sources.contracts import Plausibility
from sources.feeds import FEEDS
from sources.ingest.file_days import parse_day_patterns
from sources.ingest.validate import MAX_AGE_ENV, SALES_SINCE_ENV, parse_plausibility
from sources.lib.duck import MEMORY_LIMIT
from sources.privacy.pseudonym import PSEUDONYM_KEY_ENV, key_from_text, load_key

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    landing_dir: Path
    warehouse_path: Path
    serving_dir: Path  # the published read-only copy for analysts and BI (pipelines/serving)
    web_api_url: str | None = None
    web_api_page_size: int = PAGE_SIZE
    duckdb_memory_limit: str = MEMORY_LIMIT
    duckdb_threads: int | None = None
    identity: IdentitySettings = field(default_factory=IdentitySettings)
    customer_ref_patterns: dict[str, RefPatterns] = field(default_factory=lambda: parse_ref_patterns(None))
    kpi: KpiSettings = field(default_factory=KpiSettings)
    # GX costs ~0.3-0.5 s per file whatever its size (docs/quality.md); 25 files per feed keeps a
    # run's GX share near a minute on 2 cores, later runs catch up on the backlog.
    gx_max_batches: int = 25
    # dbt unit tests in production runs cost a fixed 16-17 s per run at every scale (crm360 bench);
    # dbt's own guidance is to run them in development and CI, where make test does.
    dbt_unit_tests: bool = False
    # One dbt process per run instead of one per dbt step: Python and dbt start once (docs/performance.md).
    dbt_resident: bool = True
    feeds: dict[str, FeedRule] = field(default_factory=lambda: parse_feed_rules(None))  # CRM360_FEEDS
    distribution: DistributionSettings = field(default_factory=DistributionSettings)  # quality/calibration.py
    plausibility: Plausibility = field(default_factory=Plausibility)  # load-time bounds, sources/contracts.py
    # Daily partitions of the event feeds (pipelines/defs/partitions.py): a fixed first day, not the
    # simulator's; a deployment sets its own history's start.
    partitions_start: date = date(2020, 1, 1)
    file_day_patterns: dict[str, str] = field(default_factory=dict)  # feed -> day regex; {} = defaults
    serving_parquet: bool = False  # also export the serving copy's tables as Parquet
    # CRM360_PSEUDONYM_KEY: a secret. Never in repr, the build fingerprint (build_state.py) or a
    # resource's shown config (LandingResource); load_pseudonym_key() gives the key's bytes.
    pseudonym_key: str | None = field(default=None, repr=False)
    # CRM360_PSEUDONYM_KEY_FILE; None = <data_dir>/secrets/pseudonym.key (Settings.key_file)
    pseudonym_key_file: Path | None = None
    serving_contacts: bool = False  # also serve the `restricted` schema: contact data for campaigns
    currency: str = DEFAULT_CURRENCY  # ISO 4217 code of the feeds' amounts, shown by the dashboard
    spark: SparkSettings = field(default_factory=SparkSettings)  # dbt's `spark` target (docs/scale-out.md)
    engine: str = "duckdb"  # CRM360_ENGINE: spark also builds the models in Spark's catalog

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @property
    def quarantine_dir(self) -> Path:
        return self.data_dir / "quarantine"

    @property
    def key_file(self) -> Path:
        """Where the pseudonym key is kept when CRM360_PSEUDONYM_KEY is unset."""
        return self.pseudonym_key_file or self.data_dir / "secrets" / "pseudonym.key"

    def load_pseudonym_key(self) -> bytes:
        """The pseudonym key's bytes (the setting, else the key file, created on first use): the one
        key both the loader's suppression and `crm360 erase` use (sources/privacy/pseudonym.py)."""
        return load_key(self.pseudonym_key, self.key_file)

    def with_overrides(self, **overrides: object) -> Settings:
        """Return a copy with CLI flags applied; None means 'flag not given'.

        data_dir is not overridable here: pass it to load_settings so derived paths follow it.
        """
        given = {k: v for k, v in overrides.items() if v is not None}
        unknown = set(given) - {f.name for f in fields(self)} | ({"data_dir"} & set(given))
        if unknown:
            raise TypeError(f"cannot override settings: {sorted(unknown)}")
        return replace(self, **given)


def _default(name: str) -> Any:
    """The default Settings declares for one of its plain fields: the env parsing never repeats it."""
    return next(f.default for f in fields(Settings) if f.name == name)


def load_settings(data_dir: Path | None = None, env: dict[str, str] | None = None) -> Settings:
    """Build settings from the environment; `data_dir` wins over CRM360_DATA_DIR."""
    env = dict(os.environ if env is None else env)
    root = Path(data_dir or env.get("CRM360_DATA_DIR") or REPO_ROOT / "data").expanduser().resolve()
    landing = env.get("CRM360_LANDING_DIR")
    warehouse = env.get("CRM360_WAREHOUSE")
    threads = env.get("CRM360_DUCKDB_THREADS")
    serving = env.get("CRM360_SERVING_DIR")
    key, key_file = env.get(PSEUDONYM_KEY_ENV) or None, env.get("CRM360_PSEUDONYM_KEY_FILE")
    if key:
        key_from_text(key, PSEUDONYM_KEY_ENV)  # a key too short fails here, before any run
    return Settings(
        data_dir=root,
        landing_dir=Path(landing).expanduser().resolve() if landing else root / "landing",
        warehouse_path=Path(warehouse).expanduser().resolve()
        if warehouse
        else root / "warehouse" / "crm360.duckdb",
        serving_dir=Path(serving).expanduser().resolve() if serving else root / "serving",
        web_api_url=env.get("CRM360_WEB_API_URL") or None,
        web_api_page_size=int(env.get("CRM360_WEB_API_PAGE_SIZE") or _default("web_api_page_size")),
        duckdb_memory_limit=env.get("CRM360_DUCKDB_MEMORY_LIMIT") or _default("duckdb_memory_limit"),
        duckdb_threads=int(threads) if threads else None,
        identity=_identity_settings(env),
        customer_ref_patterns=parse_ref_patterns(env.get("CRM360_CUSTOMER_REF_PATTERNS")),
        kpi=_kpi_settings(env),
        gx_max_batches=int(env.get("CRM360_GX_MAX_BATCHES") or _default("gx_max_batches")),
        dbt_unit_tests=env.get("CRM360_DBT_UNIT_TESTS", "").lower() in ("1", "true", "yes"),
        dbt_resident=env.get("CRM360_DBT_RESIDENT", "true").lower() not in ("0", "false", "no"),
        feeds=parse_feed_rules(env.get("CRM360_FEEDS")),
        distribution=distribution_settings(env),
        plausibility=parse_plausibility(env.get(SALES_SINCE_ENV), env.get(MAX_AGE_ENV)),
        partitions_start=_date_setting(env, "CRM360_PARTITIONS_START", _default("partitions_start")),
        file_day_patterns=parse_day_patterns(env.get("CRM360_FILE_DAY_PATTERNS"), set(FEEDS)),
        serving_parquet=env.get("CRM360_SERVING_PARQUET", "").lower() in ("1", "true", "yes"),
        pseudonym_key=key,
        pseudonym_key_file=Path(key_file).expanduser().resolve()
        if key_file
        else root / "secrets" / "pseudonym.key",
        serving_contacts=env.get("CRM360_SERVING_CONTACTS", "").lower() in ("1", "true", "yes"),
        currency=currency_code(env.get("CRM360_CURRENCY") or _default("currency")),
        spark=_spark_settings(env),
        engine=parse_engine(env.get(ENGINE_ENV)),
    )


def _spark_settings(env: dict[str, str]) -> SparkSettings:
    defaults = SparkSettings()
    return SparkSettings(
        master=env.get(MASTER_ENV) or defaults.master,
        driver_memory=env.get(DRIVER_MEMORY_ENV) or defaults.driver_memory,
        shuffle_partitions=int(env.get(SHUFFLE_PARTITIONS_ENV) or defaults.shuffle_partitions),
    )


def from_environ(var: str, value: str | None) -> bool:
    """Whether `value` is this process's own environment variable `var` (a resource may then name the
    variable instead of carrying a secret's value)."""
    return bool(value) and os.environ.get(var) == value


def _date_setting(env: dict[str, str], var: str, default: date) -> date:
    raw = env.get(var)
    if not raw:
        return default
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise ValueError(f"{var} must be a day, YYYY-MM-DD, not {raw!r}") from None


# DuckDB's memory_limit units: KB, MB... are powers of 1000, KiB, MiB... of 1024.
_SIZE_UNITS = {"": 1, "b": 1, "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12, "kb": 1e3, "mb": 1e6, "gb": 1e9,
               "tb": 1e12, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}  # fmt: skip


def size_bytes(text: str) -> float:
    """'4GB' -> 4e9, '1.5 GiB' -> 1610612736.0: a memory_limit value in bytes."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*", text)
    if not match or match.group(2).lower() not in _SIZE_UNITS:
        raise ValueError(f"{text!r} is not a memory size like 4GB or 512MiB")
    return float(match.group(1)) * _SIZE_UNITS[match.group(2).lower()]


def _identity_memory_limit(env: dict[str, str], default: str) -> str:
    """CRM360_IDENTITY_MEMORY_LIMIT if set; else the default, unless the pipeline's limit is lower
    (who lowers CRM360_DUCKDB_MEMORY_LIMIT to fit a small machine means identity too)."""
    if env.get("CRM360_IDENTITY_MEMORY_LIMIT"):
        return env["CRM360_IDENTITY_MEMORY_LIMIT"]
    pipeline = env.get("CRM360_DUCKDB_MEMORY_LIMIT")
    return pipeline if pipeline and size_bytes(pipeline) < size_bytes(default) else default


def _identity_settings(env: dict[str, str]) -> IdentitySettings:
    defaults = IdentitySettings()
    return replace(
        defaults,
        match_threshold=float(env.get("CRM360_IDENTITY_MATCH_THRESHOLD") or defaults.match_threshold),
        seed=int(env.get("CRM360_IDENTITY_SEED") or defaults.seed),
        duckdb_memory_limit=_identity_memory_limit(env, defaults.duckdb_memory_limit),
        retrain_model=env.get("CRM360_IDENTITY_RETRAIN", "").lower() in ("1", "true", "yes"),
        incremental=env.get("CRM360_IDENTITY_INCREMENTAL", "true").lower() not in ("0", "false", "no"),
        incremental_max_changed_share=float(
            env.get("CRM360_IDENTITY_INCREMENTAL_MAX_SHARE") or defaults.incremental_max_changed_share
        ),
    )


def _kpi_settings(env: dict[str, str]) -> KpiSettings:
    """CRM360_* env vars onto KpiSettings; unset or empty keeps the default."""
    defaults = KpiSettings()
    values: dict[str, object] = {}
    for name, (var, _) in ENV_VARS.items():
        if not name.startswith("kpi.") or not env.get(var):
            continue
        attr = name.removeprefix("kpi.")
        default = getattr(defaults, attr)
        raw = env[var]
        if attr == "clv_calibration_end":
            values[attr] = date.fromisoformat(raw)
        elif attr == "clv_time_unit":
            if raw not in ("weeks", "days"):
                raise ValueError(f"{var} must be 'weeks' or 'days', not {raw!r}")
            values[attr] = raw
        else:
            values[attr] = type(default)(raw)
    return replace(defaults, **values)
