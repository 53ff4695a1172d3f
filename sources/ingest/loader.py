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
from sources.ingest.events import empty_file, reject_file, unreadable
from sources.ingest.files import LandingFile, discover
from sources.ingest.fingerprints import HashCache, already_decided
from sources.ingest.jsonl_batch import jsonl_batch_full, stage_jsonl_files
from sources.ingest.one_file import load_file, load_id_for
from sources.ingest.readers import StagedFile
from sources.ingest.results import FeedLoad, FileLoad, suppressed_note
from sources.ingest.schema import ensure_schema
from sources.privacy.suppression import (
    SuppressionKeyError,
    broken_record_predicate,
    has_entries,
    suppression_predicate,
)

log = logging.getLogger(__name__)
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


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
        rows_suppressed=done.rows_suppressed,
        extra_columns=p.staged.extra_columns,
        messages=[*p.staged.notes, *filter(None, [suppressed_note(done.rows_suppressed)])]
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
        return [
            load_file(con, contract, p.lf, run_id, digest=p.digest, suppress=batch.suppress)
            for p in batch.files
        ]


def _commit_shared(
    con: duckdb.DuckDBPyConnection,
    contract: FeedContract,
    waiting: list[tuple[LandingFile, str]],
    run_id: str,
    stage: Callable[[list[LandingFile]], tuple[dict[int, StagedFile], list[int]]],
    suppress: str | None = None,
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
    batch = Batch(con, contract, suppress)
    batch.adopt(
        [Pending(lf, d, load_id_for(contract, d), staged[i]) for i, (lf, d) in enumerate(waiting[:cut])]
    )
    loads = _commit(con, contract, batch, run_id)
    return loads + [
        load_file(con, contract, lf, run_id, digest=d, suppress=suppress) for lf, d in waiting[cut:]
    ]


def suppression(con: duckdb.DuckDBPyConnection, contract: FeedContract, key: bytes | None) -> str | None:
    """The suppression predicate for the feed's staged records, broken ones included (their text is
    searched); None when no one is listed. Without a key while the list has entries, or with another
    key than the list's, it refuses (SuppressionKeyError)."""
    if key is None:
        if has_entries(con):
            raise SuppressionKeyError(
                f"{contract.name}: audit.suppression lists erased people but no pseudonym key was given: "
                "their records would load again"
            )
        return None
    tests = [
        p
        for p in (suppression_predicate(con, contract, key), broken_record_predicate(con, contract, key))
        if p
    ]
    return " OR ".join(f"({p})" for p in tests) or None


def load_feed(
    con: duckdb.DuckDBPyConnection,
    contract: FeedContract,
    landing_root: Path,
    run_id: str,
    on_file: Callable[[FileLoad], None] | None = None,
    plausibility: Plausibility | None = None,
    only: Callable[[LandingFile], bool] | None = None,
    key: bytes | None = None,
) -> FeedLoad:
    """Load every landing file of a feed not yet in the ledger; a failed file does not stop the rest.

    Consecutive files of one format (and, for CSV, one header) are read together and committed
    as a batch (sources/ingest/jsonl_batch.py, csv_batch.py). A file that is a duplicate or that
    a shared read cannot take (see csv_batch.shared_read_key) takes the one-file path, which names its
    problem. Batches are committed in landing order, so a later file's rows always load later.
    `plausibility`: the deployment's load-time bounds (the `landing` resource); None keeps the contract's.
    Files decided in an earlier run and unchanged since are only counted (`FeedLoad.unchanged`).
    `only`: the files to consider (a run over some days: those days' files); None = every file.
    `key`: the pseudonym key (sources/privacy/pseudonym.py): records matching the suppression list
    are dropped and counted (rows_suppressed). None is refused once the list has entries.
    """
    if plausibility is not None:
        contract = replace(contract, plausibility=plausibility)
    ensure_schema(con, [contract])
    con.execute("SET TimeZone = 'UTC'")
    con.execute("ATTACH IF NOT EXISTS ':memory:' AS scratch")
    suppress = suppression(con, contract, key)
    result = FeedLoad(feed=contract.name)
    waiting: list[tuple[LandingFile, str]] = []  # files for the next shared read
    read_key: tuple[str, ...] | None = None  # their read key

    def emit(loads: list[FileLoad]) -> None:
        for fl in loads:
            result.files.append(fl)
            if on_file:
                on_file(fl)

    def flush() -> None:
        if not waiting or read_key is None:
            return
        if read_key[0] == "csv":
            stage = partial(stage_csv_files, con, header=read_key[1:], contract=contract)
        else:
            stage = partial(stage_jsonl_files, con, contract=contract)
        emit(_commit_shared(con, contract, waiting, run_id, stage, suppress))
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
            # (skipped_duplicate when it is in the ledger)
            emit([load_file(con, contract, lf, run_id, digest=digest, suppress=suppress)])
            continue
        seen.add(digest)
        file_key = shared_read_key(lf, contract)
        if waiting and file_key != read_key:
            flush()
        if file_key is None:  # load_file names the failure per file
            emit([load_file(con, contract, lf, run_id, digest=digest, suppress=suppress)])
            continue
        waiting.append((lf, digest))
        read_key = file_key
        files = [w for w, _ in waiting]
        if csv_batch_full(files) if read_key[0] == "csv" else jsonl_batch_full(files):
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
