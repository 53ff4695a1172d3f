"""Exactly-once loading of landing files into raw.<feed>, with quarantine and reconciliation."""

from __future__ import annotations

import hashlib
import logging
import zlib
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path

import duckdb

from sources.contracts import FeedContract, Plausibility
from sources.ingest.batch import Batch, BatchError, Committed, Pending
from sources.ingest.csv_batch import csv_batch_full, shared_read_key, stage_csv_files
from sources.ingest.events import empty_file, record_event, reject_file, unreadable
from sources.ingest.files import LandingFile, content_hash, discover
from sources.ingest.fingerprints import HashCache
from sources.ingest.jsonl_batch import jsonl_batch_full, stage_jsonl_files
from sources.ingest.readers import StagedFile, StagingError, stage_file
from sources.ingest.results import FeedLoad, FileLoad
from sources.ingest.schema import QUARANTINE_COLUMNS, ensure_schema
from sources.ingest.validate import checked_sql, typed_select

log = logging.getLogger(__name__)
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


class ReconciliationError(Exception):
    """rows read != rows loaded + rows quarantined: the load was rolled back."""


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
) -> FileLoad:
    """Load one file in one transaction: raw rows, quarantine rows and the ledger entry commit together.

    A file whose content hash is already in the ledger adds nothing (a re-delivery under any name).
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
        con.execute("CREATE OR REPLACE VIEW scratch._checked AS " + checked_sql(contract))
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
        record_event(con, fl, digest, "; ".join(staged.notes) or None, run_id)
        con.execute("COMMIT")
    except (StagingError, ReconciliationError, duckdb.Error) as exc:
        if in_tx:
            con.execute("ROLLBACK")
        # A file the reader cannot take is the file's fault (rejected); anything else is ours.
        fl.outcome = "rejected" if isinstance(exc, StagingError) else "failed"
        fl.rows_loaded, fl.rows_quarantined = 0, 0
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


def _from_batch(contract: FeedContract, done: Committed) -> FileLoad:
    p = done.pending
    return FileLoad(
        feed=contract.name,
        source_file=p.lf.relative,
        outcome="loaded",
        load_id=p.load_id,
        rows_read=p.staged.rows_read,
        rows_loaded=done.rows_loaded,
        rows_quarantined=done.rows_quarantined,
        extra_columns=p.staged.extra_columns,
        messages=[*p.staged.notes]
        + [f"{contract.name}: {p.lf.relative} line {line}: {reason}" for line, reason in done.samples],
    )


def _commit(
    con: duckdb.DuckDBPyConnection, contract: FeedContract, batch: Batch, run_id: str
) -> list[FileLoad]:
    """Commit a batch; if it fails as a whole, load its files one by one to isolate the bad one."""
    if not batch.files:
        return []
    try:
        return [_from_batch(contract, done) for done in batch.commit(run_id)]
    except (BatchError, duckdb.Error) as exc:
        log.warning(
            "%s: batch of %d files failed (%s); loading them one by one", contract.name, len(batch.files), exc
        )
        return [load_file(con, contract, p.lf, run_id, digest=p.digest) for p in batch.files]


def _commit_shared(
    con: duckdb.DuckDBPyConnection,
    contract: FeedContract,
    waiting: list[tuple[LandingFile, str]],
    run_id: str,
    stage: Callable[[list[LandingFile]], tuple[dict[int, StagedFile], list[int]]],
) -> list[FileLoad]:
    """Stage files in one shared read and commit them as a batch, in landing order.

    From the first file the shared read left out, the files go one by one (load_file puts
    rejected lines back at their place or names the problem), so a later file never commits
    before an earlier one.
    """
    if not waiting:
        return []
    try:
        staged, left_out = stage([lf for lf, _ in waiting])
    except duckdb.Error as exc:
        log.warning("%s: reading %d files together failed (%s); one by one", contract.name, len(waiting), exc)
        staged, left_out = {}, [0]
    cut = min(left_out, default=len(waiting))
    if cut < len(waiting) and staged:
        con.execute("DELETE FROM scratch._batch WHERE _file >= ?", [cut])
    batch = Batch(con, contract)
    batch.adopt(
        [Pending(lf, d, load_id_for(contract, d), staged[i]) for i, (lf, d) in enumerate(waiting[:cut])]
    )
    loads = _commit(con, contract, batch, run_id)
    return loads + [load_file(con, contract, lf, run_id, digest=d) for lf, d in waiting[cut:]]


def already_decided(hashes: HashCache, lf: LandingFile, ledger: frozenset[str]) -> bool:
    """An unchanged file (HashCache trusts its fingerprint) whose content is in the ledger: loaded,
    or recorded as a duplicate, in the run that hashed it. Re-deciding it every run cost a ledger
    query, an audit.load_events row and a log line per file (~1,500 a daily run at 5k customers).
    A file rewritten under the same name has a new size, mtime or inode, so it is hashed again.
    """
    try:
        return hashes.trusted(lf) in ledger
    except OSError:  # gone or unreadable since discovery: the normal path names the problem
        return False


def load_feed(
    con: duckdb.DuckDBPyConnection,
    contract: FeedContract,
    landing_root: Path,
    run_id: str,
    on_file: Callable[[FileLoad], None] | None = None,
    plausibility: Plausibility | None = None,
    only: Callable[[LandingFile], bool] | None = None,
) -> FeedLoad:
    """Load every landing file of a feed not yet in the ledger; a failed file does not stop the rest.

    Consecutive files of one format (and, for CSV, one header) are read together and committed
    as a batch (sources/ingest/jsonl_batch.py, csv_batch.py). A file that is a duplicate or that
    a shared read cannot take (see csv_batch.shared_read_key) takes the one-file path, which names its
    problem. Batches are committed in landing order, so a later file's rows always load later.
    `plausibility`: the deployment's load-time bounds (the `landing` resource); None keeps the contract's.
    Files decided in an earlier run and unchanged since are only counted (`FeedLoad.unchanged`).
    `only`: the files to consider (a run over some days: those days' files); None = every file.
    """
    if plausibility is not None:
        contract = replace(contract, plausibility=plausibility)
    ensure_schema(con, [contract])
    con.execute("SET TimeZone = 'UTC'")
    con.execute("ATTACH IF NOT EXISTS ':memory:' AS scratch")
    result = FeedLoad(feed=contract.name)
    waiting: list[tuple[LandingFile, str]] = []  # files for the next shared read
    key: tuple[str, ...] | None = None  # their read key

    def emit(loads: list[FileLoad]) -> None:
        for fl in loads:
            result.files.append(fl)
            if on_file:
                on_file(fl)

    def flush() -> None:
        if not waiting or key is None:
            return
        if key[0] == "csv":
            stage = partial(stage_csv_files, con, header=key[1:], contract=contract)
        else:
            stage = partial(stage_jsonl_files, con, contract=contract)
        emit(_commit_shared(con, contract, waiting, run_id, stage))
        waiting.clear()

    # One ledger query per feed, not one per file (14 ms each, ~5 s a run on 373 daily files).
    ledger = frozenset(h for (h,) in con.execute(
        "SELECT content_hash FROM audit.load_ledger WHERE feed = ?", [contract.name]
    ).fetchall())  # fmt: skip
    seen = set(ledger)
    hashes = HashCache.load(con, contract.name)
    for lf in discover(landing_root, contract):
        if only is not None and not only(lf):
            continue
        if lf.refused:  # never opened, not even hashed
            emit([reject_file(con, contract, lf, lf.refused, run_id)])
            continue
        if already_decided(hashes, lf, ledger):
            result.unchanged += 1
            continue
        try:
            digest = hashes.digest(lf)
        except (OSError, EOFError, zlib.error) as exc:  # a cut or corrupt gzip stream
            emit([unreadable(con, contract, lf, exc, run_id)])
            continue
        if digest == EMPTY_SHA256:  # 0 bytes, or a gzip of nothing
            emit([empty_file(con, contract, lf, run_id, digest)])
            continue
        if digest in {d for _, d in waiting}:
            flush()  # the same content twice in a batch: the ledger decides after it
        if digest in seen:  # in the ledger, or in a batch that may have failed: load_file decides
            emit([load_file(con, contract, lf, run_id, digest=digest)])  # records skipped_duplicate
            continue
        seen.add(digest)
        file_key = shared_read_key(lf, contract)
        if waiting and file_key != key:
            flush()
        if file_key is None:
            emit([load_file(con, contract, lf, run_id, digest=digest)])  # names the failure per file
            continue
        waiting.append((lf, digest))
        key = file_key
        files = [w for w, _ in waiting]
        if csv_batch_full(files) if key[0] == "csv" else jsonl_batch_full(files):
            flush()
    flush()
    hashes.save()
    log.info(
        "%s: %d files unchanged and already decided, %d more hashes reused",
        contract.name,
        result.unchanged,
        hashes.reused,
    )
    return result
