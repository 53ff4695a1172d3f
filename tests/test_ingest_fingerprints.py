"""Hashes reused for unchanged landing files: a daily run reads only new or changed files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import sources.ingest.fingerprints as fingerprints
from tests.ingest_helpers import POS_HEADER, counts, load, pos_line, write


@pytest.fixture
def hashed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The files content_hash reads, by name, in call order."""
    calls: list[str] = []
    real = fingerprints.content_hash

    def counting(path: Path) -> str:
        calls.append(path.name)
        return real(path)

    monkeypatch.setattr(fingerprints, "content_hash", counting)
    return calls


def _age(path: Path, seconds: float = 60.0) -> None:
    """Backdate a file, as a file landed a minute before the run that hashes it would be."""
    past = path.stat().st_mtime_ns - int(seconds * 1e9)
    os.utime(path, ns=(past, past))


def test_an_unchanged_file_is_not_read_again(con, landing: Path, hashed: list[str]) -> None:
    _age(write(landing / "pos" / "d1.csv", POS_HEADER + "\n" + pos_line("T1") + "\n"))
    load(con, "pos", landing, run_id="r1")
    _age(write(landing / "pos" / "d2.csv", POS_HEADER + "\n" + pos_line("T2") + "\n"))
    second = load(con, "pos", landing, run_id="r2")
    assert hashed == ["d1.csv", "d2.csv"]  # d1 once, in the first run only
    # d1 was decided in r1 and is unchanged: counted, not recorded again; d2 loads.
    assert [(f.source_file, f.outcome) for f in second.files] == [("pos/d2.csv", "loaded")]
    assert second.unchanged == 1
    assert counts(con, "pos") == (2, 0)
    events = con.execute(
        "SELECT source_file, outcome, run_id FROM audit.load_events ORDER BY 1, 3"
    ).fetchall()
    assert events == [("pos/d1.csv", "loaded", "r1"), ("pos/d2.csv", "loaded", "r2")]
    stored = con.execute("SELECT source_file FROM audit.file_fingerprints ORDER BY 1").fetchall()
    assert stored == [("pos/d1.csv",), ("pos/d2.csv",)]


def test_a_file_rewritten_in_place_is_hashed_and_loaded_again(con, landing: Path, hashed: list[str]) -> None:
    path = write(landing / "pos" / "d1.csv", POS_HEADER + "\n" + pos_line("T1") + "\n")
    _age(path, 120)
    load(con, "pos", landing)
    # Same size, new content; its mtime moves on as any write's does (here by a minute).
    path.write_text(POS_HEADER + "\n" + pos_line("T9") + "\n")
    _age(path, 60)
    result = load(con, "pos", landing)
    assert hashed == ["d1.csv", "d1.csv"]
    assert [f.outcome for f in result.files] == ["loaded"]
    assert counts(con, "pos") == (2, 0)


def test_a_file_modified_just_before_hashing_is_hashed_again(con, landing: Path, hashed: list[str]) -> None:
    # mtime within RACY_NS of the hash: a rewrite right after it could keep that mtime, so the
    # stored hash is not trusted (git's racily-clean rule).
    write(landing / "pos" / "d1.csv", POS_HEADER + "\n" + pos_line("T1") + "\n")
    load(con, "pos", landing)
    result = load(con, "pos", landing)
    assert hashed == ["d1.csv", "d1.csv"]
    assert [f.outcome for f in result.files] == ["skipped_duplicate"]
    # Once hashed long enough after its last write, the file is trusted.
    _age(landing / "pos" / "d1.csv", 60)
    load(con, "pos", landing)
    load(con, "pos", landing)
    assert hashed == ["d1.csv", "d1.csv", "d1.csv"]


def test_forgetting_a_feeds_fingerprints_rehashes_it(con, landing: Path, hashed: list[str]) -> None:
    _age(write(landing / "pos" / "d1.csv", POS_HEADER + "\n" + pos_line("T1") + "\n"))
    load(con, "pos", landing)
    con.execute("DELETE FROM audit.file_fingerprints WHERE feed = 'pos'")
    load(con, "pos", landing)
    assert hashed == ["d1.csv", "d1.csv"]


def test_same_name_size_and_mtime_but_new_content_is_loaded(con, landing: Path, hashed: list[str]) -> None:
    # A writer that renames a new file into place under the old name, even with the old size and
    # mtime copied over, leaves a new inode: the fingerprint no longer matches, the file is hashed.
    path = write(landing / "pos" / "d1.csv", POS_HEADER + "\n" + pos_line("T1") + "\n")
    _age(path, 120)
    load(con, "pos", landing, run_id="r1")
    old = path.stat()
    tmp = write(landing / "pos" / ".d1.csv.tmp", POS_HEADER + "\n" + pos_line("T9") + "\n")
    os.utime(tmp, ns=(old.st_atime_ns, old.st_mtime_ns))
    tmp.rename(path)
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (old.st_size, old.st_mtime_ns)
    result = load(con, "pos", landing, run_id="r2")
    assert hashed == ["d1.csv", "d1.csv"]
    assert [(f.source_file, f.outcome) for f in result.files] == [("pos/d1.csv", "loaded")]
    assert result.unchanged == 0 and counts(con, "pos") == (2, 0)


def test_a_redelivery_is_recorded_once_then_counted_unchanged(con, landing: Path, hashed: list[str]) -> None:
    _age(write(landing / "pos" / "d1.csv", POS_HEADER + "\n" + pos_line("T1") + "\n"))
    _age(write(landing / "pos" / "d1_again.csv", POS_HEADER + "\n" + pos_line("T1") + "\n"))
    first = load(con, "pos", landing, run_id="r1")
    assert [f.outcome for f in first.files] == ["loaded", "skipped_duplicate"]
    second = load(con, "pos", landing, run_id="r2")
    assert (second.files, second.unchanged) == ([], 2)
    assert con.execute("SELECT count(*) FROM audit.load_events WHERE run_id = 'r2'").fetchone()[0] == 0
    # Its ledger entry removed (the documented way to reload a load), the content loads again.
    con.execute("DELETE FROM raw.pos")
    con.execute("DELETE FROM audit.load_ledger")
    third = load(con, "pos", landing, run_id="r3")
    assert [f.outcome for f in third.files] == ["loaded", "skipped_duplicate"]
    assert hashed == ["d1.csv", "d1_again.csv"]  # still no file read twice
