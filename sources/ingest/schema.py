"""DDL of the raw tables and the audit tables that make ingestion exactly-once."""

from __future__ import annotations

import duckdb

from sources.contracts import METADATA, FeedContract
from sources.privacy.suppression import PRIVACY_DDL

# audit.quarantine's columns in order, for INSERT ... BY NAME-free inserts that name them.
QUARANTINE_COLUMNS = (
    "load_id, feed, source_file, source_line, column_name, reason, original, quarantined_at, "
    "original_bytes, original_length"
)

# audit.load_ledger's columns in order, for INSERTs that name them.
LEDGER_COLUMNS = (
    "load_id, feed, source_file, content_hash, file_bytes, rows_read, rows_loaded, rows_quarantined, "
    "rows_suppressed, extra_columns, run_id, loaded_at"
)

# Columns the loader adds to every raw row (sources/contracts.py METADATA); required = NOT NULL.
RAW_METADATA_DDL = tuple((c.name, f"{c.type} NOT NULL" if c.required else c.type) for c in METADATA)

AUDIT_DDL = """
CREATE SCHEMA IF NOT EXISTS audit;
CREATE TABLE IF NOT EXISTS audit.load_ledger (
    load_id          VARCHAR PRIMARY KEY,
    feed             VARCHAR NOT NULL,
    source_file      VARCHAR NOT NULL,
    content_hash     VARCHAR NOT NULL,
    file_bytes       BIGINT NOT NULL,
    rows_read        BIGINT NOT NULL,
    rows_loaded      BIGINT NOT NULL,
    rows_quarantined BIGINT NOT NULL,
    extra_columns    VARCHAR[],
    run_id           VARCHAR,
    loaded_at        TIMESTAMPTZ NOT NULL,
    UNIQUE (feed, content_hash)
);
CREATE TABLE IF NOT EXISTS audit.load_events (
    feed         VARCHAR NOT NULL,
    source_file  VARCHAR NOT NULL,
    content_hash VARCHAR,
    outcome      VARCHAR NOT NULL,  -- loaded | skipped_duplicate | skipped_empty | rejected | failed
    load_id      VARCHAR,           -- the ledger entry that holds the rows
    message      VARCHAR,
    run_id       VARCHAR,
    happened_at  TIMESTAMPTZ NOT NULL
);
-- A cache of content hashes (sources/ingest/fingerprints.py): rows here never decide a load.
CREATE TABLE IF NOT EXISTS audit.file_fingerprints (
    feed         VARCHAR NOT NULL,
    source_file  VARCHAR NOT NULL,
    file_bytes   BIGINT NOT NULL,
    mtime_ns     BIGINT NOT NULL,
    inode        BIGINT NOT NULL,
    hashed_ns    BIGINT NOT NULL,   -- wall clock when the file was stat'ed, before hashing
    content_hash VARCHAR NOT NULL,
    PRIMARY KEY (feed, source_file)
);
CREATE TABLE IF NOT EXISTS audit.quarantine (
    load_id      VARCHAR NOT NULL,
    feed         VARCHAR NOT NULL,
    source_file  VARCHAR NOT NULL,
    source_line  BIGINT,
    column_name  VARCHAR,
    reason       VARCHAR NOT NULL,
    original     VARCHAR,           -- the record's text (bytes escaped where not UTF-8)
    quarantined_at TIMESTAMPTZ NOT NULL
);
-- Added later, so warehouses created before get them too (sources/ingest/originals.py).
ALTER TABLE audit.quarantine ADD COLUMN IF NOT EXISTS original_bytes BLOB;    -- not-UTF-8/long lines
ALTER TABLE audit.quarantine ADD COLUMN IF NOT EXISTS original_length BIGINT; -- bytes of the record
-- Records dropped because they match the suppression list (sources/privacy/suppression.py):
-- rows_read = rows_loaded + rows_quarantined + rows_suppressed.
ALTER TABLE audit.load_ledger ADD COLUMN IF NOT EXISTS rows_suppressed BIGINT DEFAULT 0;
"""


def raw_table_ddl(contract: FeedContract) -> str:
    """CREATE TABLE for raw.<feed>: contract columns typed as the contract says, plus metadata."""
    cols = [f'    "{c.name}" {c.type}' for c in contract.columns]
    cols += [f"    {name} {typ}" for name, typ in RAW_METADATA_DDL]
    return f"CREATE TABLE IF NOT EXISTS {contract.raw_table} (\n" + ",\n".join(cols) + "\n)"


def ensure_schema(con: duckdb.DuckDBPyConnection, contracts: list[FeedContract]) -> None:
    """Create schemas raw and audit and every table the loader writes, if missing."""
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute(AUDIT_DDL)
    con.execute(PRIVACY_DDL)  # audit.suppression and audit.erasure_log (sources/privacy/suppression.py)
    for contract in contracts:
        con.execute(raw_table_ddl(contract))
