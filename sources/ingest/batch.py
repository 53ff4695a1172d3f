"""Batched loading: files staged together, then checked, inserted and ledgered in one transaction.

Per file, the check pass and the transaction (insert, quarantine, ledger, commit) cost about
90 ms whatever the file's size (measured on the demo's 365 small POS files, 2 cores): most of a
year's load of ~1,500 daily files. A batch runs them once for up to BATCH_FILES files. Every file
keeps its own load_id, ledger row and counts, and rows read = loaded + quarantined + suppressed is
checked per file (suppressed: records of people on the suppression list, dropped). Exactly once
still holds: the rows and ledger rows of a batch commit together or not at all.
When anything in a batch fails, it is rolled back and its files are loaded one by one
(loader.load_file), so one bad file cannot take its neighbours with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from sources.contracts import FeedContract
from sources.ingest.files import LandingFile
from sources.ingest.readers import StagedFile
from sources.ingest.results import suppressed_note
from sources.ingest.schema import LEDGER_COLUMNS, QUARANTINE_COLUMNS
from sources.ingest.validate import checked_sql, find_suppressed, typed_select, unsuppressed

# 64 files = two months of a daily feed per transaction; the shared reads also cap a batch's
# bytes (csv_batch.BATCH_BYTES, jsonl_batch.BATCH_BYTES).
BATCH_FILES = 64
MAX_SAMPLES = 5  # quarantine examples per file in the messages


class BatchError(Exception):
    """The batch could not be committed as a whole; the caller loads its files one by one."""


@dataclass
class Pending:
    lf: LandingFile
    digest: str
    load_id: str
    staged: StagedFile


@dataclass
class Committed:
    pending: Pending
    rows_loaded: int
    rows_quarantined: int
    rows_suppressed: int
    samples: list[tuple[int, str]]  # (source_line, reason), first MAX_SAMPLES


class Batch:
    """Staged files of one feed waiting for one check pass and one transaction."""

    def __init__(
        self, con: duckdb.DuckDBPyConnection, contract: FeedContract, suppress: str | None = None
    ) -> None:
        """`suppress`: suppression_predicate's SQL (sources/privacy/suppression.py); None = no one listed."""
        self.con, self.contract, self.suppress = con, contract, suppress
        self.files: list[Pending] = []

    def adopt(self, pendings: list[Pending]) -> None:
        """Take files already staged together into scratch._batch, _file = their index here."""
        self.files = list(pendings)

    def commit(self, run_id: str) -> list[Committed]:
        """Check, insert, quarantine and ledger every file of the batch in one transaction."""
        con, contract = self.con, self.contract
        con.execute(
            "CREATE OR REPLACE TABLE scratch._batch_files "
            "(_file INTEGER, load_id VARCHAR, source_file VARCHAR)"
        )
        con.executemany(
            "INSERT INTO scratch._batch_files VALUES (?, ?, ?)",
            [(i, p.load_id, p.lf.relative) for i, p in enumerate(self.files)],
        )
        source, suppressed = "scratch._batch", {}
        if self.suppress is not None:
            find_suppressed(con, source, self.suppress, "_file, _source_line")
            suppressed = dict(
                con.execute("SELECT _file, count(*) FROM scratch._suppressed GROUP BY 1").fetchall()
            )
            source = unsuppressed(source, "_file, _source_line")
        con.execute("CREATE OR REPLACE VIEW scratch._checked AS " + checked_sql(contract, source=source))
        checked = {
            i: (ok, bad)
            for i, ok, bad in con.execute(
                """
                SELECT _file, count(*) FILTER (WHERE len(_errors) = 0),
                       count(*) FILTER (WHERE len(_errors) > 0)
                FROM scratch._checked GROUP BY _file
                """
            ).fetchall()
        }
        counts = {i: (*checked.get(i, (0, 0)), suppressed.get(i, 0)) for i in range(len(self.files))}
        con.execute("BEGIN TRANSACTION")
        try:
            committed = self._write(counts, run_id)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        return committed

    def _write(self, counts: dict[int, tuple[int, int, int]], run_id: str) -> list[Committed]:
        con, contract = self.con, self.contract
        loaded = con.execute(
            f"""
            INSERT INTO {contract.raw_table}
            SELECT {typed_select(contract)}, f.load_id, f.source_file, c._source_line,
                   now() + to_microseconds(c._file), c._extra
            FROM scratch._checked c JOIN scratch._batch_files f USING (_file) WHERE len(c._errors) = 0
            """
        ).fetchone()[0]
        quarantined = con.execute(
            f"""
            INSERT INTO audit.quarantine ({QUARANTINE_COLUMNS})
            SELECT f.load_id, ?, f.source_file, c._source_line,
                   list_filter(c._error_columns, x -> x IS NOT NULL)[1], array_to_string(c._errors, '; '),
                   c._original, now(), NULL, strlen(c._original)
            FROM scratch._checked c JOIN scratch._batch_files f USING (_file) WHERE len(c._errors) > 0
            """,
            [contract.name],
        ).fetchone()[0]
        for i, p in enumerate(self.files):
            ok, bad, dropped = counts[i]
            if p.staged.rows_read != ok + bad + dropped:
                raise BatchError(
                    f"{contract.name}: {p.lf.relative}: rows read {p.staged.rows_read} != "
                    f"loaded {ok} + quarantined {bad} + suppressed {dropped}"
                )
        if (loaded, quarantined) != tuple(map(sum, zip(*counts.values(), strict=True)))[:2]:
            raise BatchError(
                f"{contract.name}: batch inserted {loaded} + {quarantined} rows, checked other counts"
            )
        # Staging keeps the latest load of a record (_loaded_at, then _load_id): files of one batch
        # are stamped a microsecond apart in landing order, so a later file still wins.
        con.executemany(
            f"INSERT INTO audit.load_ledger ({LEDGER_COLUMNS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now() + to_microseconds(?))",
            [
                (
                    p.load_id,
                    contract.name,
                    p.lf.relative,
                    p.digest,
                    p.lf.path.stat().st_size,
                    p.staged.rows_read,
                    *counts[i],
                    p.staged.extra_columns,
                    run_id,
                    i,
                )
                for i, p in enumerate(self.files)
            ],
        )
        con.executemany(
            "INSERT INTO audit.load_events VALUES (?, ?, ?, 'loaded', ?, ?, ?, now())",
            [
                (contract.name, p.lf.relative, p.digest, p.load_id, event_message(p, counts[i][2]), run_id)
                for i, p in enumerate(self.files)
            ],
        )
        samples: dict[str, list[tuple[int, str]]] = {}
        for load_id, line, reason in con.execute(
            """
            SELECT load_id, source_line, reason FROM audit.quarantine
            WHERE load_id IN (SELECT load_id FROM scratch._batch_files)
            QUALIFY row_number() OVER (PARTITION BY load_id ORDER BY source_line) <= ?
            ORDER BY load_id, source_line
            """,
            [MAX_SAMPLES],
        ).fetchall():
            samples.setdefault(load_id, []).append((line, reason))
        return [Committed(p, *counts[i], samples.get(p.load_id, [])) for i, p in enumerate(self.files)]


def event_message(p: Pending, suppressed: int) -> str | None:
    """A loaded file's event message: the reader's notes and the count of suppressed records."""
    notes = [*p.staged.notes, *filter(None, [suppressed_note(suppressed)])]
    return "; ".join(notes) or None
