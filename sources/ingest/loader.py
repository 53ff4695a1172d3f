"""Exactly-once loading of landing files into raw.<feed>, with quarantine and reconciliation."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from sources.contracts import FeedContract
from sources.ingest.files import LandingFile, content_hash, discover
from sources.ingest.readers import StagingError, stage_file
from sources.ingest.schema import ensure_schema
from sources.ingest.validate import checked_sql, typed_select

log = logging.getLogger(__name__)


class ReconciliationError(Exception):
    """rows read != rows loaded + rows quarantined: the load was rolled back."""


@dataclass
class FileLoad:
    feed: str
    source_file: str
    outcome: str  # loaded | skipped_duplicate | failed
    load_id: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    extra_columns: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)  # quarantine samples and notes


@dataclass
class FeedLoad:
    feed: str
    files: list[FileLoad] = field(default_factory=list)

    def total(self, attr: str) -> int:
        return sum(getattr(f, attr) for f in self.files)

    @property
    def failed(self) -> list[FileLoad]:
        return [f for f in self.files if f.outcome == "failed"]


def _record_event(
    con: duckdb.DuckDBPyConnection, fl: FileLoad, content: str | None, message: str | None, run_id: str
) -> None:
    con.execute(
        "INSERT INTO audit.load_events VALUES (?, ?, ?, ?, ?, ?, ?, now())",
        [fl.feed, fl.source_file, content, fl.outcome, fl.load_id, message, run_id],
    )


def load_file(
    con: duckdb.DuckDBPyConnection, contract: FeedContract, lf: LandingFile, run_id: str, max_samples: int = 5
) -> FileLoad:
    """Load one file in one transaction: raw rows, quarantine rows and the ledger entry commit together.

    A file whose content hash is already in the ledger adds nothing (a re-delivery under any name).
    """
    digest = content_hash(lf.path)
    fl = FileLoad(feed=contract.name, source_file=lf.relative, outcome="loaded")
    prior = con.execute(
        "SELECT load_id, source_file FROM audit.load_ledger WHERE feed = ? AND content_hash = ?",
        [contract.name, digest],
    ).fetchone()
    if prior:
        fl.outcome, fl.load_id = "skipped_duplicate", prior[0]
        note = f"same content as {prior[1]} (load {prior[0]}); nothing added"
        fl.messages.append(note)
        _record_event(con, fl, digest, note, run_id)
        return fl

    fl.load_id = f"{contract.name}:{digest[:16]}"
    in_tx = False
    try:
        # Parsing and checks write only to the in-memory `scratch` database; DuckDB allows one
        # written database per transaction, so the main-file transaction starts after them.
        staged = stage_file(con, lf, contract)
        fl.rows_read, fl.extra_columns = staged.rows_read, staged.extra_columns
        con.execute(
            "CREATE OR REPLACE TABLE scratch._checked AS " + checked_sql(contract, staged.missing_required)
        )
        con.execute("BEGIN TRANSACTION")
        in_tx = True
        meta = [fl.load_id, lf.relative]
        con.execute(
            f"""
            INSERT INTO {contract.raw_table}
            SELECT {typed_select(contract)}, ?, ?, _source_line, now(), _extra
            FROM scratch._checked WHERE len(_errors) = 0
            """,
            meta,
        )
        con.execute(
            """
            INSERT INTO audit.quarantine
            SELECT ?, ?, ?, _source_line, list_filter(_error_columns, x -> x IS NOT NULL)[1],
                   array_to_string(_errors, '; '), _original, now()
            FROM scratch._checked WHERE len(_errors) > 0
            """,
            [fl.load_id, contract.name, lf.relative],
        )
        fl.rows_loaded = con.execute(
            f"SELECT count(*) FROM {contract.raw_table} WHERE _load_id = ?", [fl.load_id]
        ).fetchone()[0]
        fl.rows_quarantined = con.execute(
            "SELECT count(*) FROM audit.quarantine WHERE load_id = ?", [fl.load_id]
        ).fetchone()[0]
        if fl.rows_read != fl.rows_loaded + fl.rows_quarantined:
            raise ReconciliationError(
                f"{contract.name}: {lf.relative}: rows read {fl.rows_read} != loaded {fl.rows_loaded} "
                f"+ quarantined {fl.rows_quarantined}"
            )
        con.execute(
            "INSERT INTO audit.load_ledger VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())",
            [
                fl.load_id,
                contract.name,
                lf.relative,
                digest,
                lf.path.stat().st_size,
                fl.rows_read,
                fl.rows_loaded,
                fl.rows_quarantined,
                fl.extra_columns,
                run_id,
            ],
        )
        samples = con.execute(
            """
            SELECT source_line, column_name, reason FROM audit.quarantine
            WHERE load_id = ? ORDER BY source_line LIMIT ?
            """,
            [fl.load_id, max_samples],
        ).fetchall()
        fl.messages += staged.notes
        fl.messages += [
            f"{contract.name}: {lf.relative} line {line}: {reason}" for line, col, reason in samples
        ]
        _record_event(con, fl, digest, "; ".join(staged.notes) or None, run_id)
        con.execute("COMMIT")
    except (StagingError, ReconciliationError, duckdb.Error) as exc:
        if in_tx:
            con.execute("ROLLBACK")
        fl.outcome, fl.rows_loaded, fl.rows_quarantined = "failed", 0, 0
        message = (
            str(exc)
            if isinstance(exc, StagingError | ReconciliationError)
            else (f"{contract.name}: {lf.relative}: {type(exc).__name__}: {exc}")
        )
        if isinstance(exc, StagingError):
            message = f"{contract.name}: {message}"
        fl.messages.append(message)
        _record_event(con, fl, digest, message, run_id)
    return fl


def load_feed(
    con: duckdb.DuckDBPyConnection,
    contract: FeedContract,
    landing_root: Path,
    run_id: str,
    on_file: Callable[[FileLoad], None] | None = None,
) -> FeedLoad:
    """Load every landing file of a feed not yet in the ledger; a failed file does not stop the rest."""
    ensure_schema(con, [contract])
    con.execute("SET TimeZone = 'UTC'")
    con.execute("ATTACH IF NOT EXISTS ':memory:' AS scratch")
    result = FeedLoad(feed=contract.name)
    for lf in discover(landing_root, contract):
        fl = load_file(con, contract, lf, run_id)
        result.files.append(fl)
        if on_file:
            on_file(fl)
    return result
