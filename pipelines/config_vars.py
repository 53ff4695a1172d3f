"""The CRM360_* environment variables: each setting's variable and what it means (docs/configuration.md)."""

from __future__ import annotations

from pipelines.customer_refs import RefPatterns
from pipelines.spark.settings import DRIVER_MEMORY_ENV, ENGINE_ENV, MASTER_ENV, SHUFFLE_PARTITIONS_ENV
from quality.calibration import DISTRIBUTION_ENV
from sources.connectors.web_api import PAGE_SIZE_ENV, URL_ENV
from sources.privacy.pseudonym import PSEUDONYM_KEY_ENV

# name -> (env var, description); docs/configuration.md is generated from it (pipelines/config_doc.py),
# which appends each default it can read from the dataclasses: descriptions do not repeat them.
ENV_VARS: dict[str, tuple[str, str]] = {
    "data_dir": ("CRM360_DATA_DIR", "Data directory (default ./data in the repository)."),
    "landing_dir": ("CRM360_LANDING_DIR", "Landing location of the feeds (default <data_dir>/landing)."),
    "warehouse_path": (
        "CRM360_WAREHOUSE",
        "DuckDB warehouse file (default <data_dir>/warehouse/crm360.duckdb).",
    ),
    "serving_dir": (
        "CRM360_SERVING_DIR",
        "Where each good run publishes the read-only copy of core and marts, `crm360.duckdb`, without "
        "personal data, for analysts and BI tools (default <data_dir>/serving; docs/querying.md).",
    ),
    "serving_parquet": (
        "CRM360_SERVING_PARQUET",
        "Also export the serving copy's tables as Parquet, `<serving_dir>/parquet/<schema>/<table>.parquet`.",
    ),
    "pseudonym_key": (
        PSEUDONYM_KEY_ENV,
        "The key of the keyed pseudonyms (HMAC-SHA-256) of the suppression list (`crm360 erase`), at least "
        "16 characters; a secret, never shown nor stored in the warehouse. Unset: the key file below. "
        "Changing it once people are erased is refused (their records would load again).",
    ),
    "pseudonym_key_file": (
        "CRM360_PSEUDONYM_KEY_FILE",
        "File holding the pseudonym key when CRM360_PSEUDONYM_KEY is unset (default "
        "<data_dir>/secrets/pseudonym.key): created with a random key (mode 0600) when missing; a key file "
        "that group or others may read is refused. Keep it, and back it up, apart from the warehouse.",
    ),
    "serving_contacts": (
        "CRM360_SERVING_CONTACTS",
        "Also publish the `restricted` schema's tables (marketing contact data) in the serving copy, with "
        "their personal columns, for a deployment that sends campaigns from it. Off, the copy holds no "
        "column dbt tags personal (docs/querying.md).",
    ),
    "currency": (
        "CRM360_CURRENCY",
        "ISO 4217 code (EUR, USD, GBP, CHF ...) of the amounts in the feeds: sales, refunds, prices. The "
        "warehouse stores plain numbers; the dashboard shows every amount with it (tiles, axes, tooltips).",
    ),
    "web_api_url": URL_ENV,
    "web_api_page_size": PAGE_SIZE_ENV,
    "duckdb_memory_limit": ("CRM360_DUCKDB_MEMORY_LIMIT", "DuckDB memory_limit."),
    "duckdb_threads": ("CRM360_DUCKDB_THREADS", "DuckDB threads (default: all cores)."),
    "engine": (
        ENGINE_ENV,
        "`duckdb` or `spark`. spark: each run, after the DuckDB build, also builds every dbt model and "
        "its tests in Spark's catalog from the same ledger's loads (docs/scale-out.md says what still "
        "runs on DuckDB). Needs `pip install '.[spark]'` and Java 17.",
    ),
    "spark.master": (
        MASTER_ENV,
        "Spark master of dbt's `spark` target (`local[*]`: this machine's cores; docs/scale-out.md).",
    ),
    "spark.driver_memory": (DRIVER_MEMORY_ENV, "Memory of the Spark driver (the local session's JVM heap)."),
    "spark.shuffle_partitions": (
        SHUFFLE_PARTITIONS_ENV,
        "spark.sql.shuffle.partitions: raise it with the data (Spark's own default is 200).",
    ),
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
        "First day (YYYY-MM-DD) of the event feeds' daily partitions (raw/pos, raw/pos_order_events, "
        "raw/web, raw/callcenter); a landing file of an earlier day belongs to this first partition "
        "(docs/operations.md).",
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
        "Great Expectations validations per feed in one run. Each validates the landed files "
        "not validated before, grouped up to 50,000 rows (a larger file alone, on a sample of "
        "that size); files beyond the cap wait for the next run. A year of daily files at "
        "5,000 customers takes 1 to 6.",
    ),
    "dbt_unit_tests": (
        "CRM360_DBT_UNIT_TESTS",
        "Also run dbt's unit tests in the pipeline's dbt builds (off by default: they check model logic "
        "on fixed fixture rows, `make test` runs them, and a run's new data gives them nothing new).",
    ),
    "dbt_resident": (
        "CRM360_DBT_RESIDENT",
        "Serve every dbt step of a run from one resident dbt process (on by default; `false` starts "
        "a `dbt` process per step, as dagster-dbt does by default).",
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
    "identity.incremental": (
        "CRM360_IDENTITY_INCREMENTAL",
        "Resolve only what new and changed contact records reach (false: every run resolves all).",
    ),
    "identity.incremental_max_changed_share": (
        "CRM360_IDENTITY_INCREMENTAL_MAX_SHARE",
        "Share of records new, changed or gone above which a run resolves everything instead.",
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
        "Days without a purchase that fire the lapsed trigger; also when a customer with a single "
        "purchase day counts as at risk (marts.customer_churn).",
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
    "kpi.self_service_deflection_days": (
        "CRM360_SELF_SERVICE_DEFLECTION_DAYS",
        "Days after a self-service web session in which a service contact means it was not deflected.",
    ),
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
    "kpi.lead_lost_days": (
        "CRM360_LEAD_LOST_DAYS",
        "Days after the first answered telesales call in which a lead must buy, else it is lost.",
    ),
    "kpi.telesales_recontact_days": (
        "CRM360_TELESALES_RECONTACT_DAYS",
        "Days after an outbound telesales call in which the customer is not put on the call list again.",
    ),
    "kpi.churn_risk_gap_factor": (
        "CRM360_CHURN_RISK_GAP_FACTOR",
        "Multiple of a customer's own mean gap between purchases beyond which the frequency is falling.",
    ),
    "kpi.churn_risk_experience_days": (
        "CRM360_CHURN_RISK_EXPERIENCE_DAYS",
        "Days before the last order from which complaints and bad experiences explain a churn risk.",
    ),
    "kpi.followup_max_age_days": (
        "CRM360_FOLLOWUP_MAX_AGE_DAYS",
        "Age in days after which an open interaction leaves marts.contact_followups.",
    ),
    "kpi.forecast_weeks": ("CRM360_FORECAST_WEEKS", "Weeks of revenue forecast."),
    "kpi.forecast_backtest_weeks": (
        "CRM360_FORECAST_BACKTEST_WEEKS",
        "Last weeks of history held out to measure forecast error.",
    ),
    "kpi.clv_default_margin_rate": (
        "CRM360_CLV_DEFAULT_MARGIN_RATE",
        "Gross margin rate of CLV as net profit when no order line has a unit cost.",
    ),
    "kpi.cost_per_service_contact": (
        "CRM360_COST_PER_SERVICE_CONTACT",
        "Cost of one inbound service contact, charged in CLV as net profit.",
    ),
    "kpi.campaign_min_control_customers": (
        "CRM360_CAMPAIGN_MIN_CONTROL_CUSTOMERS",
        "Control customers a campaign needs before its lift can be conclusive.",
    ),
    "kpi.campaign_min_expected_responders": (
        "CRM360_CAMPAIGN_MIN_EXPECTED_RESPONDERS",
        "Expected control responders (or converters) a lift test needs to be conclusive.",
    ),
    "kpi.campaign_confidence": (
        "CRM360_CAMPAIGN_CONFIDENCE",
        "Two-sided confidence of the campaign lift intervals; 1 minus it is the test's alpha.",
    ),
    # --- calibrated distribution rules (quality/calibration.py, docs/quality.md) ---
    **{f"distribution.{attr}": entry for attr, entry in DISTRIBUTION_ENV.items()},
}
