"""One place for crm360 configuration: CRM360_* environment variables, overridden by CLI flags."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from pipelines.identity.settings import IdentitySettings

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"

# name -> (env var, description); docs/configuration.md is generated from this table.
ENV_VARS: dict[str, tuple[str, str]] = {
    "data_dir": ("CRM360_DATA_DIR", "Data directory (default ./data in the repository)."),
    "landing_dir": ("CRM360_LANDING_DIR", "Landing location of the feeds (default <data_dir>/landing)."),
    "warehouse_path": (
        "CRM360_WAREHOUSE",
        "DuckDB warehouse file (default <data_dir>/warehouse/crm360.duckdb).",
    ),
    "web_api_url": (
        "CRM360_WEB_API_URL",
        "Base URL of the web analytics API; when set, web events are also pulled from it.",
    ),
    "web_api_page_size": ("CRM360_WEB_API_PAGE_SIZE", "Events per page asked of the web API (default 5000)."),
    "duckdb_memory_limit": ("CRM360_DUCKDB_MEMORY_LIMIT", "DuckDB memory_limit (default 4GB)."),
    "duckdb_threads": ("CRM360_DUCKDB_THREADS", "DuckDB threads (default: all cores)."),
    "gx_max_batches": (
        "CRM360_GX_MAX_BATCHES",
        "Landed files per feed validated by Great Expectations in one run (default 25; the rest wait).",
    ),
    "identity.match_threshold": (
        "CRM360_IDENTITY_MATCH_THRESHOLD",
        "Splink match probability from which two records are linked (default 0.95).",
    ),
    "identity.seed": ("CRM360_IDENTITY_SEED", "Seed of Splink's u-estimation sampling (default 42)."),
    "identity.retrain_model": (
        "CRM360_IDENTITY_RETRAIN",
        "Retrain the Splink model instead of reusing the stored one (default false).",
    ),
}


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    landing_dir: Path
    warehouse_path: Path
    web_api_url: str | None = None
    web_api_page_size: int = 5000
    duckdb_memory_limit: str = "4GB"
    duckdb_threads: int | None = None
    identity: IdentitySettings = field(default_factory=IdentitySettings)
    # GX costs ~0.3-0.5 s per file whatever its size (docs/quality.md); 25 files per feed keeps a
    # run's GX share near a minute on 2 cores, later runs catch up on the backlog.
    gx_max_batches: int = 25

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
        web_api_page_size=int(env.get("CRM360_WEB_API_PAGE_SIZE", "5000")),
        duckdb_memory_limit=env.get("CRM360_DUCKDB_MEMORY_LIMIT", "4GB"),
        duckdb_threads=int(threads) if threads else None,
        identity=_identity_settings(env),
        gx_max_batches=int(env.get("CRM360_GX_MAX_BATCHES", "25")),
    )


def _identity_settings(env: dict[str, str]) -> IdentitySettings:
    defaults = IdentitySettings()
    return replace(
        defaults,
        match_threshold=float(env.get("CRM360_IDENTITY_MATCH_THRESHOLD", defaults.match_threshold)),
        seed=int(env.get("CRM360_IDENTITY_SEED", defaults.seed)),
        retrain_model=env.get("CRM360_IDENTITY_RETRAIN", "").lower() in ("1", "true", "yes"),
    )
