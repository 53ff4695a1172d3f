"""Exactly once: the content-hash ledger, atomic loads, and reconciliation that fails loudly."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import sources.ingest.loader as loader
from sources.ingest.readers import StagedFile
from tests.ingest_helpers import POS_HEADER, assert_reconciled, counts, load, pos_line, web_event, write


def test_second_run_adds_nothing(con, landing: Path) -> None:
    write(landing / "pos" / "d1.csv", POS_HEADER + "\n" + pos_line("T1") + "\n" + pos_line("T2") + "\n")
    first = load(con, "pos", landing, run_id="r1")
    second = load(con, "pos", landing, run_id="r2")
    assert [f.outcome for f in first.files] == ["loaded"]
    assert [f.outcome for f in second.files] == ["skipped_duplicate"]
    assert counts(con, "pos") == (2, 0)
    events = con.execute("SELECT outcome, run_id FROM audit.load_events ORDER BY happened_at").fetchall()
    assert events == [("loaded", "r1"), ("skipped_duplicate", "r2")]


def test_redelivery_under_another_name_adds_nothing(con, landing: Path) -> None:
    original = write(landing / "pos" / "d1.csv", POS_HEADER + "\n" + pos_line("T1") + "\n")
    shutil.copy(original, landing / "pos" / "d1_resent_final.csv")
    result = load(con, "pos", landing)
    assert sorted(f.outcome for f in result.files) == ["loaded", "skipped_duplicate"]
    skipped = next(f for f in result.files if f.outcome == "skipped_duplicate")
    assert "same content as pos/d1.csv" in skipped.messages[0]
    assert counts(con, "pos") == (1, 0)


def test_recompressed_gzip_is_the_same_content(con, landing: Path) -> None:
    body = (web_event("e1") + "\n").encode()
    (landing / "web").mkdir()
    (landing / "web" / "a.jsonl.gz").write_bytes(gzip.compress(body, compresslevel=9, mtime=1))
    (landing / "web" / "b.jsonl.gz").write_bytes(gzip.compress(body, compresslevel=1, mtime=2))
    (landing / "web" / "c.jsonl").write_bytes(body)
    load(con, "web", landing)
    assert counts(con, "web") == (1, 0)


def test_new_day_file_loads_only_itself(con, landing: Path) -> None:
    write(landing / "pos" / "d1.csv", POS_HEADER + "\n" + pos_line("T1") + "\n")
    load(con, "pos", landing)
    write(landing / "pos" / "d2.csv", POS_HEADER + "\n" + pos_line("T2") + "\n")
    result = load(con, "pos", landing)
    assert [(f.source_file, f.outcome) for f in result.files] == [
        ("pos/d1.csv", "skipped_duplicate"),
        ("pos/d2.csv", "loaded"),
    ]
    assert counts(con, "pos") == (2, 0)


def test_reconciliation_mismatch_rolls_back_and_is_reported(con, landing: Path, monkeypatch) -> None:
    write(landing / "pos" / "d1.csv", POS_HEADER + "\n" + pos_line("T1") + "\n")
    real = loader.stage_file

    def miscounting(*args, **kwargs) -> StagedFile:
        staged = real(*args, **kwargs)
        staged.rows_read += 1  # a reader that lost a row must not commit
        return staged

    monkeypatch.setattr(loader, "stage_file", miscounting)
    result = load(con, "pos", landing)
    failed = result.files[0]
    assert failed.outcome == "failed"
    assert "rows read 2 != loaded 1 + quarantined 0" in failed.messages[0]
    assert counts(con, "pos") == (0, 0)
    assert con.execute("SELECT count(*) FROM audit.load_ledger").fetchone()[0] == 0
    event = con.execute("SELECT outcome, message FROM audit.load_events").fetchone()
    assert event[0] == "failed" and "rows read 2" in event[1]

    monkeypatch.setattr(loader, "stage_file", real)
    retry = load(con, "pos", landing)
    assert [f.outcome for f in retry.files] == ["loaded"]
    assert counts(con, "pos") == (1, 0)
    assert_reconciled(con)


def test_ledger_and_rows_commit_together(con, landing: Path) -> None:
    """When the ledger write fails, the rows inserted before it in the same load are gone too."""
    path = write(landing / "pos" / "d1.csv", POS_HEADER + "\n" + pos_line("T1") + "\n")
    load(con, "pos", landing)  # creates the tables
    con.execute("DELETE FROM raw.pos; DELETE FROM audit.load_ledger; DELETE FROM audit.load_events")
    # Occupy the load id the file will get (feed + hash prefix) under another hash, so the
    # ledger INSERT, the last statement of the transaction, violates the primary key.
    from sources.ingest.files import content_hash

    load_id = f"pos:{content_hash(path)[:16]}"
    con.execute(
        "INSERT INTO audit.load_ledger VALUES (?, 'pos', 'other.csv', 'x', 0, 0, 0, 0, [], 'r0', now())",
        [load_id],
    )
    con.execute("DELETE FROM audit.quarantine")
    result = load(con, "pos", landing)
    assert result.files[0].outcome == "failed"
    assert "Constraint" in result.files[0].messages[0]
    assert counts(con, "pos") == (0, 0)
