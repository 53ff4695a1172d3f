"""Load events of files that load nothing: rejected files and their reasons in audit.load_events."""

from __future__ import annotations

import gzip
import zlib

import duckdb

from sources.contracts import FeedContract
from sources.ingest.files import LandingFile, gzip_damage
from sources.ingest.results import FileLoad


def record_event(
    con: duckdb.DuckDBPyConnection, fl: FileLoad, content: str | None, message: str | None, run_id: str
) -> None:
    con.execute(
        "INSERT INTO audit.load_events VALUES (?, ?, ?, ?, ?, ?, ?, now())",
        [fl.feed, fl.source_file, content, fl.outcome, fl.load_id, message, run_id],
    )


def reject_file(
    con: duckdb.DuckDBPyConnection,
    contract: FeedContract,
    lf: LandingFile,
    reason: str,
    run_id: str,
    digest: str | None = None,
) -> FileLoad:
    """A file refused as a whole: recorded in audit.load_events with its reason, nothing loaded.

    It is not in the ledger, so a corrected file under the same name loads on a later run.
    """
    fl = FileLoad(feed=contract.name, source_file=lf.relative, outcome="rejected")
    fl.messages.append(f"{contract.name}: {lf.relative}: {reason}")
    record_event(con, fl, digest, fl.messages[-1], run_id)
    return fl


def empty_file(
    con: duckdb.DuckDBPyConnection, contract: FeedContract, lf: LandingFile, run_id: str, digest: str
) -> FileLoad:
    """A file with no content. A CSV export always has its header, so an empty CSV is no export:
    rejected. JSON lines of a day without events (a small site's export) are empty by right: no
    rows, nothing to load, and not a rejection (outcome skipped_empty, kept out of the ledger)."""
    if lf.fmt == "csv":
        return reject_file(con, contract, lf, "nothing loadable: empty file (0 bytes)", run_id, digest)
    fl = FileLoad(feed=contract.name, source_file=lf.relative, outcome="skipped_empty")
    record_event(con, fl, digest, f"{contract.name}: {lf.relative}: empty (no records)", run_id)
    return fl


def unreadable(
    con: duckdb.DuckDBPyConnection, contract: FeedContract, lf: LandingFile, exc: Exception, run_id: str
) -> FileLoad:
    """A file that cannot even be hashed (a cut gzip stream): rejected with where it breaks."""
    if lf.compressed and isinstance(exc, EOFError | zlib.error | gzip.BadGzipFile):
        return reject_file(con, contract, lf, gzip_damage(lf.path), run_id)
    return reject_file(con, contract, lf, f"cannot read the file: {type(exc).__name__}: {exc}", run_id)
