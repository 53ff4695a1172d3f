"""Exactly once: the content-hash ledger, atomic loads, and reconciliation that fails loudly."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import sources.ingest.loader as loader
import sources.ingest.one_file as one_file
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
    real = one_file.stage_file

    def miscounting(*args, **kwargs) -> StagedFile:
        staged = real(*args, **kwargs)
        staged.rows_read += 1  # a reader that lost a row must not commit
        return staged

    real_shared = loader.stage_csv_files

    def miscounting_shared(*args, **kwargs) -> tuple[dict[int, StagedFile], list[int]]:
        staged, left_out = real_shared(*args, **kwargs)
        for one in staged.values():
            one.rows_read += 1
        return staged, left_out

    # Both readers lose a row: the shared read's batch fails, then the file alone fails too.
    monkeypatch.setattr(one_file, "stage_file", miscounting)
    monkeypatch.setattr(loader, "stage_csv_files", miscounting_shared)
    result = load(con, "pos", landing)
    failed = result.files[0]
    assert failed.outcome == "failed"
    assert "rows read 2 != loaded 1 + quarantined 0" in failed.messages[0]
    assert counts(con, "pos") == (0, 0)
    assert con.execute("SELECT count(*) FROM audit.load_ledger").fetchone()[0] == 0
    event = con.execute("SELECT outcome, message FROM audit.load_events").fetchone()
    assert event[0] == "failed" and "rows read 2" in event[1]

    monkeypatch.setattr(one_file, "stage_file", real)
    monkeypatch.setattr(loader, "stage_csv_files", real_shared)
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
        "INSERT INTO audit.load_ledger (load_id, feed, source_file, content_hash, file_bytes, rows_read, "
        "rows_loaded, rows_quarantined, extra_columns, run_id, loaded_at) "
        "VALUES (?, 'pos', 'other.csv', 'x', 0, 0, 0, 0, [], 'r0', now())",
        [load_id],
    )
    con.execute("DELETE FROM audit.quarantine")
    result = load(con, "pos", landing)
    assert result.files[0].outcome == "failed"
    assert "Constraint" in result.files[0].messages[0]
    assert counts(con, "pos") == (0, 0)


def test_files_commit_in_batches_each_with_its_own_ledger_entry(con, landing: Path, monkeypatch) -> None:
    monkeypatch.setattr("sources.ingest.batch.BATCH_FILES", 2)  # 5 files: batches of 2, 2 and 1
    for day in range(5):
        rows = [pos_line(f"T{day}-{i}") for i in range(day + 1)] + (
            ["T-BAD,1,S-001,nope"] if day == 3 else []
        )
        write(landing / "pos" / f"d{day}.csv", POS_HEADER + "\n" + "\n".join(rows) + "\n")
    result = load(con, "pos", landing)
    assert [(f.outcome, f.rows_read, f.rows_loaded, f.rows_quarantined) for f in result.files] == [
        ("loaded", 1, 1, 0),
        ("loaded", 2, 2, 0),
        ("loaded", 3, 3, 0),
        ("loaded", 5, 4, 1),
        ("loaded", 5, 5, 0),
    ]
    assert "pos: pos/d3.csv line 6:" in result.files[3].messages[0]
    per_file = con.execute("SELECT _source_file, count(*) FROM raw.pos GROUP BY 1 ORDER BY 1").fetchall()
    assert per_file == [(f"pos/d{d}.csv", d + 1) for d in range(5)]
    # "latest load wins" in staging must keep landing order inside a batch, where now() is one value
    stamps = con.execute(
        "SELECT _source_file, min(_loaded_at), max(_loaded_at) FROM raw.pos GROUP BY 1 ORDER BY 2"
    ).fetchall()
    assert [f for f, _, _ in stamps] == [f"pos/d{d}.csv" for d in range(5)]
    assert all(lo == hi for _, lo, hi in stamps)
    assert_reconciled(con)


def test_failed_batch_falls_back_to_one_file_at_a_time(con, landing: Path, monkeypatch) -> None:
    import sources.ingest.batch as batch

    def broken(self, counts, run_id):
        con.execute("INSERT INTO raw.pos (transaction_id) VALUES ('half-written')")  # rolled back
        raise batch.BatchError("simulated failure in the middle of a batch")

    monkeypatch.setattr(batch.Batch, "_write", broken)
    for day in range(3):
        write(landing / "pos" / f"d{day}.csv", POS_HEADER + "\n" + pos_line(f"T{day}") + "\n")
    result = load(con, "pos", landing)
    assert [f.outcome for f in result.files] == ["loaded"] * 3
    assert counts(con, "pos") == (3, 0)
    assert (
        con.execute("SELECT count(*) FROM raw.pos WHERE transaction_id = 'half-written'").fetchone()[0] == 0
    )
    assert con.execute("SELECT count(*) FROM audit.load_ledger").fetchone()[0] == 3
    assert_reconciled(con)


def test_same_content_twice_in_one_batch_loads_once(con, landing: Path) -> None:
    body = POS_HEADER + "\n" + pos_line("T1") + "\n"
    write(landing / "pos" / "a.csv", body)
    write(landing / "pos" / "b.csv", POS_HEADER + "\n" + pos_line("T2") + "\n")
    write(landing / "pos" / "c.csv", body)
    result = load(con, "pos", landing)
    assert [(f.source_file, f.outcome) for f in result.files] == [
        ("pos/a.csv", "loaded"),
        ("pos/b.csv", "loaded"),
        ("pos/c.csv", "skipped_duplicate"),
    ]
    assert counts(con, "pos") == (2, 0)
