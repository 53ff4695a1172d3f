"""One landing file loaded in one transaction: raw rows, quarantine rows and the ledger entry together."""

from __future__ import annotations

import duckdb

from sources.contracts import FeedContract
from sources.ingest.events import record_event
from sources.ingest.files import LandingFile, content_hash
from sources.ingest.readers import StagingError, stage_file
from sources.ingest.results import FileLoad, suppressed_note
from sources.ingest.schema import LEDGER_COLUMNS, QUARANTINE_COLUMNS
from sources.ingest.validate import checked_sql, find_suppressed, typed_select, unsuppressed


class ReconciliationError(Exception):
    """rows read != rows loaded + rows quarantined + rows suppressed: the load was rolled back."""


def load_id_for(contract: FeedContract, digest: str) -> str:
    """The ledger id of a file's load: feed and content hash prefix, so a re-delivery maps to it."""
    return f"{contract.name}:{digest[:16]}"


def _prior_load(con: duckdb.DuckDBPyConnection, feed: str, digest: str) -> tuple[str, str] | None:
    return con.execute(
        "SELECT load_id, source_file FROM audit.load_ledger WHERE feed = ? AND content_hash = ?",
        [feed, digest],
    ).fetchone()


def load_file(
    con: duckdb.DuckDBPyConnection,
    contract: FeedContract,
    lf: LandingFile,
    run_id: str,
    max_samples: int = 5,
    digest: str | None = None,
    suppress: str | None = None,
) -> FileLoad:
    """Load one file in one transaction: raw rows, quarantine rows and the ledger entry commit together.

    A file whose content hash is already in the ledger adds nothing (a re-delivery under any name).
    `suppress`: suppression_predicate's SQL; its records are dropped and only counted (rows_suppressed).
    """
    digest = digest or content_hash(lf.path)
    fl = FileLoad(feed=contract.name, source_file=lf.relative, outcome="loaded")
    prior = _prior_load(con, contract.name, digest)
    if prior:
        fl.outcome, fl.load_id = "skipped_duplicate", prior[0]
        note = f"same content as {prior[1]} (load {prior[0]}); nothing added"
        fl.messages.append(note)
        record_event(con, fl, digest, note, run_id)
        return fl

    fl.load_id = load_id_for(contract, digest)
    in_tx = False
    try:
        # Parsing and checks write only to the in-memory `scratch` database; DuckDB allows one
        # written database per transaction, so the main-file transaction starts after them.
        staged = stage_file(con, lf, contract)
        fl.rows_read, fl.extra_columns = staged.rows_read, staged.extra_columns
        source = "scratch._staged"
        if suppress is not None:
            find_suppressed(con, source, suppress, "_source_line")
            fl.rows_suppressed = con.execute("SELECT count(*) FROM scratch._suppressed").fetchone()[0]
            source = unsuppressed(source, "_source_line")
        con.execute("CREATE OR REPLACE VIEW scratch._checked AS " + checked_sql(contract, source))
        con.execute("BEGIN TRANSACTION")
        in_tx = True
        meta = [fl.load_id, lf.relative]
        # The counts come from DuckDB's own insert results: counting raw rows of this load
        # afterwards scans the whole append-only table per file (50M web rows at 1M customers).
        fl.rows_loaded = con.execute(
            f"""
            INSERT INTO {contract.raw_table}
            SELECT {typed_select(contract)}, ?, ?, _source_line, now(), _extra
            FROM scratch._checked WHERE len(_errors) = 0
            """,
            meta,
        ).fetchone()[0]
        fl.rows_quarantined = con.execute(
            f"""
            INSERT INTO audit.quarantine ({QUARANTINE_COLUMNS})
            SELECT ?, ?, ?, _source_line, list_filter(_error_columns, x -> x IS NOT NULL)[1],
                   array_to_string(_errors, '; '), _original, now(), b.original_bytes,
                   coalesce(b.original_length, strlen(_original))
            FROM scratch._checked c LEFT JOIN scratch._raw_bytes b ON b.n = c._source_line
            WHERE len(_errors) > 0
            """,
            [fl.load_id, contract.name, lf.relative],
        ).fetchone()[0]
        if fl.rows_read != fl.rows_loaded + fl.rows_quarantined + fl.rows_suppressed:
            raise ReconciliationError(
                f"{contract.name}: {lf.relative}: rows read {fl.rows_read} != loaded {fl.rows_loaded} "
                f"+ quarantined {fl.rows_quarantined} + suppressed {fl.rows_suppressed}"
            )
        con.execute(
            f"INSERT INTO audit.load_ledger ({LEDGER_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())",
            [
                fl.load_id,
                contract.name,
                lf.relative,
                digest,
                lf.path.stat().st_size,
                fl.rows_read,
                fl.rows_loaded,
                fl.rows_quarantined,
                fl.rows_suppressed,
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
        notes = [*staged.notes, *filter(None, [suppressed_note(fl.rows_suppressed)])]
        fl.messages += notes
        fl.messages += [
            f"{contract.name}: {lf.relative} line {line}: {reason}" for line, col, reason in samples
        ]
        record_event(con, fl, digest, "; ".join(notes) or None, run_id)
        con.execute("COMMIT")
    except (StagingError, ReconciliationError, duckdb.Error) as exc:
        if in_tx:
            con.execute("ROLLBACK")
        # A file the reader cannot take is the file's fault (rejected); anything else is ours.
        fl.outcome = "rejected" if isinstance(exc, StagingError) else "failed"
        fl.rows_loaded, fl.rows_quarantined, fl.rows_suppressed = 0, 0, 0
        message = (
            str(exc)
            if isinstance(exc, StagingError | ReconciliationError)
            else (f"{contract.name}: {lf.relative}: {type(exc).__name__}: {exc}")
        )
        if isinstance(exc, StagingError):
            message = f"{contract.name}: {message}"
        fl.messages.append(message)
        record_event(con, fl, digest, message, run_id)
    return fl
