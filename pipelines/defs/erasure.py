"""`crm360 erase`: the run lock, one transaction of erasure, the log and suppression list, compaction,
the files beside the warehouse, and a new serving copy (docs/privacy.md)."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines.config import Settings
from pipelines.defs.build_state import forget_build
from pipelines.defs.dbt_project import ensure_manifest
from pipelines.defs.run_lock import Holder, run_lock
from pipelines.privacy.compact import copy_out, swap_in
from pipelines.privacy.erase import erase_subject, needles
from pipelines.privacy.files import redact_files
from pipelines.privacy.subject import Subject, find_subject
from pipelines.privacy.tags import load_tags
from pipelines.serving.docs import load_table_docs
from pipelines.serving.publish import SERVING_FILE, publish
from sources.contracts import FeedContract
from sources.lib.duck import open_warehouse
from sources.privacy.pseudonym import key_id, pseudonym
from sources.privacy.suppression import PRIVACY_DDL, add_entries, match_key, suppression_predicate

# Folders of the data directory a run writes text into that may quote a value (GX samples, logs).
REDACTED_FOLDERS = ("reports", "logs", "quarantine")
LOCK_POLL_SECONDS = 1.0


@dataclass(frozen=True)
class Erasure:
    erasure_id: str
    customer_keys: int
    suppressed: dict[str, int]  # kind -> new suppression entries
    removed: dict[str, int]  # table -> rows changed
    files: dict[str, int]  # file -> occurrences redacted (-1: deleted)
    size_before: int
    size_after: int
    compact_seconds: float
    published: bool


def _subject_pseudonym(key: bytes, kind: str, value: str) -> str:
    normalized = value.strip() if kind == "customer_key" else (match_key(kind, value) or value.strip())
    return pseudonym(key, f"{kind}:{normalized}")


def _log(con, key: bytes, subject: Subject, kind: str, value: str, erasure_id: str, removed: dict) -> None:
    con.execute(
        "INSERT INTO audit.erasure_log VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            erasure_id,
            _subject_pseudonym(key, kind, value),
            kind,
            key_id(key),
            datetime.now(UTC),
            len(subject.customer_keys),
            json.dumps(removed),
        ],
    )


def _open(settings: Settings, wait: bool, on_wait: Callable[[Holder | None], None] | None):
    """The warehouse, read-write. A run the daemon launched holds DuckDB's file lock without the run lock:
    wait for it like for a run (or refuse)."""
    told = False
    while True:
        try:
            return open_warehouse(settings.warehouse_path, settings.duckdb_memory_limit)
        except duckdb.IOException as exc:
            if not wait or "lock" not in str(exc).lower():
                raise
            if not told and on_wait:
                on_wait(None)
            told = True
            time.sleep(LOCK_POLL_SECONDS)


def _erase_in_warehouse(
    con: duckdb.DuckDBPyConnection, path: Path, key: bytes, kind: str, value: str, erasure_id: str
):
    """One transaction (suppression entries, every layer, the log), then the compacted copy made on the
    same connection and renamed over `path` once it is closed. Returns (subject, removed, suppressed,
    compaction seconds)."""
    tags = load_tags(ensure_manifest())
    try:
        con.execute(PRIVACY_DDL)
        con.execute("BEGIN TRANSACTION")
        try:
            subject = find_subject(con, kind, value)
            suppressed = {
                k: add_entries(con, key, k, sorted(v), erasure_id) for k, v in subject.identifiers.items()
            }

            def predicate(contract: FeedContract) -> str | None:
                return suppression_predicate(con, contract, key)

            removed = erase_subject(con, subject, tags, predicate, erasure_id)
            _log(con, key, subject, kind, value, erasure_id, removed)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("CHECKPOINT")
        started = time.perf_counter()
        compacted = copy_out(con, path)
    finally:
        con.close()
    swap_in(compacted, path)
    return subject, removed, suppressed, time.perf_counter() - started


def erase(
    settings: Settings,
    kind: str,
    value: str,
    wait: bool = True,
    on_wait: Callable[[Holder | None], None] | None = None,
) -> Erasure:
    """Erase the person `kind` = `value` from the working warehouse, the files beside it and the serving
    copy. Waits for a running pipeline (the single writer) unless `wait` is False."""
    key = settings.load_pseudonym_key()
    erasure_id = datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]
    with run_lock(settings.data_dir, wait=wait, on_wait=on_wait):
        if not settings.warehouse_path.exists():
            raise FileNotFoundError(f"no warehouse at {settings.warehouse_path}: nothing to erase from")
        before = settings.warehouse_path.stat().st_size
        con = _open(settings, wait, on_wait)
        subject, removed, suppressed, seconds = _erase_in_warehouse(
            con, settings.warehouse_path, key, kind, value, erasure_id
        )
        after = settings.warehouse_path.stat().st_size
        forget_build(settings.data_dir)
        contained, _ = needles(subject)
        files = redact_files(
            [settings.data_dir / f for f in REDACTED_FOLDERS if (settings.data_dir / f).is_dir()], contained
        )
        published = (settings.serving_dir / SERVING_FILE).exists()
        if published:
            republish(settings, erasure_id)
    return Erasure(
        erasure_id, len(subject.customer_keys), suppressed, removed, files, before, after, seconds, published
    )


def republish(settings: Settings, run_id: str) -> None:
    """Replace the serving copy with one made from the erased warehouse, as a run would."""
    docs = load_table_docs(ensure_manifest())
    con = open_warehouse(settings.warehouse_path, settings.duckdb_memory_limit)
    try:
        publish(
            con,
            settings.serving_dir,
            docs,
            run_id=run_id,
            parquet=settings.serving_parquet,
            contacts=settings.serving_contacts,
        )
    finally:
        con.close()
