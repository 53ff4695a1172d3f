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
    # The reused hash still decides as before: d1 is a duplicate, d2 loads.
    assert [(f.source_file, f.outcome) for f in second.files] == [
        ("pos/d1.csv", "skipped_duplicate"),
        ("pos/d2.csv", "loaded"),
    ]
    assert counts(con, "pos") == (2, 0)
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
