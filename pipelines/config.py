"""One place for crm360 configuration: CRM360_* environment variables, overridden by CLI flags."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields, replace
from datetime import date
from pathlib import Path
from typing import Any

from pipelines.customer_refs import RefPatterns, parse_ref_patterns
from pipelines.feeds import FeedRule, parse_feed_rules
from pipelines.identity.settings import IdentitySettings
from pipelines.kpi.settings import KpiSettings
from quality.calibration import DISTRIBUTION_ENV, DistributionSettings, distribution_settings
from sources.connectors.web_api import PAGE_SIZE, PAGE_SIZE_ENV, URL_ENV
from sources.contracts import Plausibility
from sources.feeds import FEEDS
from sources.ingest.file_days import parse_day_patterns
from sources.ingest.validate import MAX_AGE_ENV, SALES_SINCE_ENV, parse_plausibility
from sources.lib.duck import MEMORY_LIMIT

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"

# name -> (env var, description); docs/configuration.md is generated from it (pipelines/config_doc.py),
# which appends each default it can read from the dataclasses: descriptions do not repeat them.
ENV_VARS: dict[str, tuple[str, str]] = {
    "data_dir": ("CRM360_DATA_DIR", "Data directory (default ./data in the repository)."),
    "landing_dir": ("CRM360_LANDING_DIR", "Landing location of the feeds (default <data_dir>/landing)."),
    "warehouse_path": (
        "CRM360_WAREHOUSE",
        "DuckDB warehouse file (default <data_dir>/warehouse/crm360.duckdb).",
    ),
    "web_api_url": URL_ENV,
    "web_api_page_size": PAGE_SIZE_ENV,
    "duckdb_memory_limit": ("CRM360_DUCKDB_MEMORY_LIMIT", "DuckDB memory_limit."),
    "duckdb_threads": ("CRM360_DUCKDB_THREADS", "DuckDB threads (default: all cores)."),
    "plausibility.sales_since": (
        "CRM360_SALES_SINCE",
        "Earliest plausible sale date, YYYY-MM-DD: a POS line dated before it or "
        "after the load time is quarantined with the reason (sources/ingest/validate.py, "
        "docs/sources.md).",
    ),
    "plausibility.max_age_years": (
        "CRM360_MAX_AGE_YEARS",
        "Oldest plausible age at load time: a date of birth giving an older age, or in "
        "the future, is quarantined with the reason.",
    ),
    "partitions_start": (
        "CRM360_PARTITIONS_START",
        "First day (YYYY-MM-DD) of the event feeds' daily partitions (raw/pos, raw/web, raw/callcenter); "
        "a landing file of an earlier day belongs to this first partition (docs/operations.md).",
    ),
    "file_day_patterns": (
        "CRM360_FILE_DAY_PATTERNS",
        "How a feed's landing file names carry their day (its daily partition): JSON "
        '`{"pos": "sales_(?P<day>[0-9]{2})(?P<month>[0-9]{2})(?P<year>[0-9]{4})"}`, regexes with the groups '
        "year, month and day searched in the file name (the last match wins); feeds not named keep the "
        "default, YYYY-MM-DD, YYYY_MM_DD or YYYYMMDD not touching a letter or digit. A file whose name "
        "has no valid day belongs to the UTC day it was last modified (docs/operations.md).",
    ),
    "gx_max_batches": (
        "CRM360_GX_MAX_BATCHES",
        "Landed files per feed validated by Great Expectations in one run (the rest wait).",
    ),
    "dbt_unit_tests": (
        "CRM360_DBT_UNIT_TESTS",
        "Also run dbt's unit tests in the pipeline's dbt builds (off by default: they check model logic "
        "on fixed fixture rows, `make test` runs them, and a run's new data gives them nothing new).",
    ),
    "customer_ref_patterns": (
        "CRM360_CUSTOMER_REF_PATTERNS",
        "Which `customer_ref` of a feed is an account id and which a loyalty card: JSON "
        '`{"pos": {"account_id": "^[0-9]{6}$", "loyalty_card": ""}}`, regexes on the upper-cased '
        'reference, `""` = the feed sends none; feeds (pos, callcenter) and kinds not named keep '
        f"the defaults `{RefPatterns().account_id}` and `{RefPatterns().loyalty_card}`. Any other "
        "reference is kept as the feed's own customer number (`local_ref`, `pos:100234`) and links "
        "that feed's records; a warn check counts them (docs/sources.md).",
    ),
    "feeds": (
        "CRM360_FEEDS",
        "Feeds this deployment expects and their freshness, JSON over the defaults: "
        '`{"pos": "required", "web": {"expect": "optional", "warn_after_days": 2, "error_after_days": 7}}` '
        "(null switches a limit off). Every feed is optional by default; web, pos and callcenter warn "
        "after 2 days without a load and fail after 7, lists have no limit. A feed that never delivered "
        "is a warning, an error (blocking its staging) only when required (see Declared feeds below).",
    ),
    "identity.match_threshold": (
        "CRM360_IDENTITY_MATCH_THRESHOLD",
        "Splink match probability from which two records are linked.",
    ),
    "identity.seed": ("CRM360_IDENTITY_SEED", "Seed of Splink's u-estimation sampling."),
    "identity.duckdb_memory_limit": (
        "CRM360_IDENTITY_MEMORY_LIMIT",
        "DuckDB memory_limit during identity resolution (Python arrays sit beside it); "
        "CRM360_DUCKDB_MEMORY_LIMIT instead when that is lower than the default.",
    ),
    "identity.retrain_model": (
        "CRM360_IDENTITY_RETRAIN",
        "Retrain the Splink model instead of reusing the stored one.",
    ),
    "kpi.clv_calibration_end": (
        "CRM360_CLV_CALIBRATION_END",
        "Last day (YYYY-MM-DD) of the CLV calibration window (default: CRM360_CLV_HOLDOUT_DAYS days "
        "before the last order).",
    ),
    "kpi.clv_holdout_days": (
        "CRM360_CLV_HOLDOUT_DAYS",
        "Days of holdout after the default calibration end.",
    ),
    "kpi.clv_time_unit": (
        "CRM360_CLV_TIME_UNIT",
        "Time unit of the CLV models: weeks or days.",
    ),
    "kpi.clv_horizon": ("CRM360_CLV_HORIZON", "CLV horizon in time units."),
    "kpi.clv_discount_rate": ("CRM360_CLV_DISCOUNT_RATE", "Annual discount rate of CLV."),
    "kpi.clv_min_repeat_customers": (
        "CRM360_CLV_MIN_REPEAT_CUSTOMERS",
        "Customers with a repeat purchase BG/NBD needs to price customers; with fewer, or a fit that "
        "did not converge, CLV is the historical rate (`clv_model`).",
    ),
    "kpi.clv_max_missing_share": (
        "CRM360_CLV_MAX_MISSING_SHARE",
        "Share of customers with a repeat purchase that may have a NULL or non-finite CLV before the "
        "blocking check on marts.customer_clv fails.",
    ),
    "kpi.churn_days": (
        "CRM360_CHURN_DAYS",
        "Days without a purchase after which a customer has churned.",
    ),
    "kpi.lapsed_days": (
        "CRM360_LAPSED_DAYS",
        "Days without a purchase that fire the lapsed trigger.",
    ),
    "kpi.large_return_amount": (
        "CRM360_LARGE_RETURN_AMOUNT",
        "Refund amount from which a return fires the large-return trigger.",
    ),
    "kpi.service_level_seconds": (
        "CRM360_SERVICE_LEVEL_SECONDS",
        "Call-centre service-level threshold: answered within this many seconds.",
    ),
    "kpi.fcr_days": ("CRM360_FCR_DAYS", "First-contact resolution window in days."),
    "kpi.conversion_window_days": (
        "CRM360_CONVERSION_WINDOW_DAYS",
        "Days after a campaign response in which a purchase counts as a conversion.",
    ),
    "kpi.strategic_clv_share": (
        "CRM360_STRATEGIC_CLV_SHARE",
        "Top share of customers by predicted CLV marked strategically significant.",
    ),
    "kpi.basket_min_pair_baskets": (
        "CRM360_BASKET_MIN_PAIR_BASKETS",
        "Baskets a product pair needs to enter marts.kpi_product_pairs.",
    ),
    "kpi.bundle_min_support": (
        "CRM360_BUNDLE_MIN_SUPPORT",
        "Support (share of baskets) a pair needs to be a bundle candidate.",
    ),
    "kpi.acquisition_warm_up_days": (
        "CRM360_ACQUISITION_WARM_UP_DAYS",
        "Days from the start of the history whose new customers may be older ones, flagged warm-up.",
    ),
    "kpi.forecast_weeks": ("CRM360_FORECAST_WEEKS", "Weeks of revenue forecast."),
    "kpi.forecast_backtest_weeks": (
        "CRM360_FORECAST_BACKTEST_WEEKS",
        "Last weeks of history held out to measure forecast error.",
    ),
    # --- calibrated distribution rules (quality/calibration.py, docs/quality.md) ---
    **{f"distribution.{attr}": entry for attr, entry in DISTRIBUTION_ENV.items()},
}


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    landing_dir: Path
    warehouse_path: Path
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
    feeds: dict[str, FeedRule] = field(default_factory=lambda: parse_feed_rules(None))  # CRM360_FEEDS
    distribution: DistributionSettings = field(default_factory=DistributionSettings)  # quality/calibration.py
    plausibility: Plausibility = field(default_factory=Plausibility)  # load-time bounds, sources/contracts.py
    # Daily partitions of the event feeds (pipelines/defs/partitions.py): a fixed first day, not the
    # simulator's; a deployment sets its own history's start.
    partitions_start: date = date(2020, 1, 1)
    file_day_patterns: dict[str, str] = field(default_factory=dict)  # feed -> day regex; {} = defaults

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @property
    def quarantine_dir(self) -> Path:
        return self.data_dir / "quarantine"

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
    return Settings(
        data_dir=root,
        landing_dir=Path(landing).expanduser().resolve() if landing else root / "landing",
        warehouse_path=Path(warehouse).expanduser().resolve()
        if warehouse
        else root / "warehouse" / "crm360.duckdb",
        web_api_url=env.get("CRM360_WEB_API_URL") or None,
        web_api_page_size=int(env.get("CRM360_WEB_API_PAGE_SIZE") or _default("web_api_page_size")),
        duckdb_memory_limit=env.get("CRM360_DUCKDB_MEMORY_LIMIT") or _default("duckdb_memory_limit"),
        duckdb_threads=int(threads) if threads else None,
        identity=_identity_settings(env),
        customer_ref_patterns=parse_ref_patterns(env.get("CRM360_CUSTOMER_REF_PATTERNS")),
        kpi=_kpi_settings(env),
        gx_max_batches=int(env.get("CRM360_GX_MAX_BATCHES") or _default("gx_max_batches")),
        dbt_unit_tests=env.get("CRM360_DBT_UNIT_TESTS", "").lower() in ("1", "true", "yes"),
        feeds=parse_feed_rules(env.get("CRM360_FEEDS")),
        distribution=distribution_settings(env),
        plausibility=parse_plausibility(env.get(SALES_SINCE_ENV), env.get(MAX_AGE_ENV)),
        partitions_start=_date_setting(env, "CRM360_PARTITIONS_START", _default("partitions_start")),
        file_day_patterns=parse_day_patterns(env.get("CRM360_FILE_DAY_PATTERNS"), set(FEEDS)),
    )


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
