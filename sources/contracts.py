"""Feed contracts: the columns, types and allowed values every landing feed must honour."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

CONTACT_COLUMN_NAMES = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "address_line1",
    "address_line2",
    "city",
    "postcode",
    "region",
    "country",
    "date_of_birth",
)


# Kinds of personal data a column may hold (docs/privacy.md). A column carrying one is tagged
# `personal: <kind>` in the feed contract and in dbt column meta; it may live only in the layers
# identity resolution and the golden record need, and the serving copy leaves it out.
PERSONAL_KINDS = {
    "name": "a person's given or family name",
    "email": "an e-mail address",
    "phone": "a phone number",
    "address": "a street address, city or full postcode",
    "birth_date": "a date of birth",
    "customer_id": "an account id, loyalty card or a source system's customer number",
    "online_id": "a browser cookie id",
}
# The kinds `crm360 erase` adds to the suppression list, so a re-delivered row carrying one is
# dropped at ingestion (sources/privacy/suppression.py).
SUPPRESSION_KINDS = ("email", "phone", "customer_id", "online_id")

# Region and country are coarse attributes, not personal on their own.
CONTACT_PERSONAL_KINDS = {
    "first_name": "name",
    "last_name": "name",
    "email": "email",
    "phone": "phone",
    "address_line1": "address",
    "address_line2": "address",
    "city": "address",
    "postcode": "address",
    "date_of_birth": "birth_date",
}
# Column names that hold personal data wherever a warehouse model carries them: tests/test_personal_tags.py
# requires the tag on each, and the serving copy withholds them even untagged (pipelines/serving/publish.py).
PERSONAL_COLUMN_NAMES = CONTACT_PERSONAL_KINDS | {
    "email_canonical": "email",
    "account_id": "customer_id",
    "loyalty_card": "customer_id",
    "local_ref": "customer_id",
    "customer_ref": "customer_id",
    "account_ids": "customer_id",
    "loyalty_cards": "customer_id",
    "anonymous_id": "online_id",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # DuckDB type the loader casts to; the raw table uses it too
    description: str
    required: bool = False
    allowed: tuple[str, ...] | None = None
    example: str = ""
    bounds: str | None = None  # plausibility bounds, a key of PLAUSIBILITY (sources/ingest/validate.py)
    personal: str | None = None  # the kind of personal data it holds, a key of PERSONAL_KINDS


# Metadata columns the loader adds to every raw row; the underscore keeps them apart from feed
# columns (POS has its own `line_number`). Required ones are NOT NULL in the raw tables
# (sources/ingest/schema.py); dbt's _sources.yml describes them (sources/dbt_sources.py).
METADATA = (
    Column(
        "_load_id",
        "VARCHAR",
        "Id of the landing file this row was loaded from (one per file); joins audit.load_ledger.load_id.",
        required=True,
    ),
    Column(
        "_source_file",
        "VARCHAR",
        "Landing file the row came from, relative to the landing root.",
        required=True,
    ),
    Column(
        "_source_line",
        "BIGINT",
        "Physical line of the file where the record starts (header = 1).",
        required=True,
    ),
    Column(
        "_loaded_at",
        "TIMESTAMPTZ",
        "When the loader committed the file; source freshness is measured on it.",
        required=True,
    ),
    Column("_extra", "JSON", "Columns the contract does not know, kept as {name: text}."),
)
METADATA_COLUMNS = tuple(c.name for c in METADATA)


# Oldest plausible age of a person at load time: an older date of birth is a typing error.
MAX_AGE_YEARS = 120
# Earliest plausible sale date unless CRM360_SALES_SINCE says otherwise.
SALES_SINCE = date(2000, 1, 1)
# Plausibility bounds a column may carry, as documented in docs/sources.md; the SQL is in
# sources/ingest/validate.py. The earliest sale date is the setting CRM360_SALES_SINCE.


@dataclass(frozen=True)
class Plausibility:
    """The load-time bounds of a deployment (CRM360_SALES_SINCE, CRM360_MAX_AGE_YEARS): passed to
    load_feed from the `landing` resource, carried by the contract into its SQL checks."""

    sales_since: date = SALES_SINCE
    max_age_years: int = MAX_AGE_YEARS


PLAUSIBILITY = {
    "sale_time": f"not before CRM360_SALES_SINCE (default {SALES_SINCE.isoformat()}), not after the load "
    "time (1 h of clock skew allowed)",
    "birth_date": f"an age of 0 to {MAX_AGE_YEARS} years at the load time (not in the future)",
}


@dataclass(frozen=True)
class RowRule:
    """A rule across a record's columns: `broken` is SQL over the staged text columns that is
    true when the record breaks it; such a record is quarantined with `message`."""

    column: str  # the column named in audit.quarantine
    broken: str
    message: str


# The day of a landing file, from its name (the last match wins): YYYY-MM-DD, YYYY_MM_DD or YYYYMMDD,
# not touching a letter or digit (so digits inside a hash, such as the web API's page names, are no
# day). A deployment names its own per feed (CRM360_FILE_DAY_PATTERNS); the groups year, month and
# day are required. sources/ingest/file_days.py applies it.
DEFAULT_DAY_PATTERN = (
    r"(?<![0-9A-Za-z])(?P<year>[0-9]{4})(?P<sep>[-_]?)(?P<month>[0-9]{2})(?P=sep)(?P<day>[0-9]{2})"
    r"(?![0-9A-Za-z])"
)


@dataclass(frozen=True)
class FeedContract:
    name: str  # feed id used in raw table names, the ledger and messages
    landing_subdir: str  # folder under the landing root
    formats: tuple[str, ...]  # "csv" and/or "jsonl" (".gz" accepted for jsonl)
    record_id: tuple[str, ...]  # natural key of one record in the feed
    description: str
    columns: tuple[Column, ...] = field(default_factory=tuple)
    row_rules: tuple[RowRule, ...] = ()
    plausibility: Plausibility = Plausibility()  # the deployment's bounds (load_feed sets them)
    # An event feed delivering a file per day: its raw asset has daily partitions keyed by the day in
    # the file's name (DEFAULT_DAY_PATTERN unless the deployment names its own). Lists are not.
    daily: bool = False

    @property
    def raw_table(self) -> str:
        return f"raw.{self.name}"

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def personal(self) -> tuple[Column, ...]:
        """The columns holding personal data."""
        return tuple(c for c in self.columns if c.personal)

    @property
    def required(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")


def contact_columns(required: tuple[str, ...] = ()) -> tuple[Column, ...]:
    spec = {
        "first_name": ("VARCHAR", "Given name as typed by the person or agent.", "Anna"),
        "last_name": ("VARCHAR", "Family name.", "Schmidt"),
        "email": ("VARCHAR", "E-mail address, any case, may carry +aliases.", "anna.schmidt@example.com"),
        "phone": (
            "VARCHAR",
            "Phone number in any common format; staging turns it into E.164.",
            "+44 20 7946 0123",
        ),
        "address_line1": ("VARCHAR", "Street and number.", "12 High Street"),
        "address_line2": ("VARCHAR", "Flat, floor or building.", "Flat 3"),
        "city": ("VARCHAR", "City or town.", "London"),
        "postcode": ("VARCHAR", "Postal code as written in the country.", "SW1A 1AA"),
        "region": ("VARCHAR", "State, county or region.", "Greater London"),
        "country": ("VARCHAR", "ISO 3166-1 alpha-2 country code or country name.", "GB"),
        "date_of_birth": ("DATE", "Date of birth, ISO 8601 (YYYY-MM-DD).", "1984-03-21"),
    }
    return tuple(
        Column(
            name,
            typ,
            desc,
            required=name in required,
            example=ex,
            bounds="birth_date" if name == "date_of_birth" else None,
            personal=CONTACT_PERSONAL_KINDS.get(name),
        )
        for name, (typ, desc, ex) in spec.items()
    )
