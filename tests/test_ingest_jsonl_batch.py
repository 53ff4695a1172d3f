"""JSON-lines files read together load exactly what loading them one by one loads."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from sources.feeds import FEEDS
from sources.ingest.files import content_hash, discover
from sources.ingest.loader import load_file
from tests.ingest_helpers import assert_reconciled, load, web_event, write

RAW = "SELECT * EXCLUDE (_loaded_at) FROM raw.web ORDER BY _source_file, _source_line"
QUARANTINE = "SELECT * EXCLUDE (quarantined_at) FROM audit.quarantine ORDER BY source_file, source_line"
LEDGER = (
    "SELECT load_id, source_file, rows_read, rows_loaded, rows_quarantined, extra_columns "
    "FROM audit.load_ledger ORDER BY source_file"
)


def _landing(root: Path) -> None:
    """Six days: plain and gzip, CRLF, blank lines, bad JSON, bad types, unknown keys, bad UTF-8."""
    write(
        root / "web" / "d1.jsonl", "\n".join([web_event("a1"), "", web_event("a2", user_id="ACC-1")]) + "\n"
    )
    write(
        root / "web" / "d2.jsonl.gz",
        "\r\n".join([web_event("b1", campaign_tag={"id": 7}), '{"event_id": "b2", "event_', web_event("b3")]),
    )
    write(root / "web" / "d3.jsonl", "\n".join([web_event("c1", occurred_at="yesterday"), "[1, 2]"]) + "\n")
    latin1 = web_event("d2", first_name="Zo#").replace("#", "\xeb").encode("latin-1")
    write(root / "web" / "d4.jsonl", (web_event("d1") + "\n").encode() + latin1 + b"\n")
    write(root / "web" / "d5.jsonl.gz", web_event("e1", event_type="teleport") + "\n")
    write(root / "web" / "d6.jsonl", web_event("f1", shoe_size="44") + "\n\n\n")


def _one_by_one(root: Path, db: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(db))
    load(con, "web", root / "empty")  # creates the tables
    for lf in discover(root, FEEDS["web"]):
        load_file(con, FEEDS["web"], lf, "test", digest=content_hash(lf.path))
    return con


def test_read_together_equals_one_by_one(con, landing: Path, tmp_path: Path) -> None:
    _landing(landing)
    result = load(con, "web", landing)
    assert [f.outcome for f in result.files] == ["loaded"] * 6
    reference = _one_by_one(landing, tmp_path / "reference.duckdb")
    for sql in (RAW, QUARANTINE, LEDGER):
        assert con.execute(sql).fetchall() == reference.execute(sql).fetchall(), sql
    quarantined = con.execute(
        "SELECT source_file, source_line FROM audit.quarantine ORDER BY 1, 2"
    ).fetchall()
    assert quarantined == [
        ("web/d2.jsonl.gz", 2),  # cut JSON
        ("web/d3.jsonl", 1),  # bad timestamp
        ("web/d3.jsonl", 2),  # an array, not an object
        ("web/d4.jsonl", 2),  # latin-1
        ("web/d5.jsonl.gz", 1),  # unknown event type
    ]
    assert con.execute(
        "SELECT extra_columns FROM audit.load_ledger WHERE source_file = 'web/d6.jsonl'"
    ).fetchone()[0] == ["shoe_size"]
    # d4 has a line the shared read rejects: d4 to d6 go one by one, still after d1 to d3
    order = con.execute("SELECT _source_file FROM raw.web GROUP BY 1 ORDER BY min(_loaded_at)").fetchall()
    assert [f for (f,) in order] == [f"web/d{d}.jsonl" + (".gz" if d in (2, 5) else "") for d in (1, 2, 4, 6)]
    assert_reconciled(con)


@pytest.mark.parametrize("limit", ["files", "bytes"])
def test_batches_split_by_file_count_and_size(con, landing: Path, monkeypatch, limit: str) -> None:
    if limit == "files":
        monkeypatch.setattr("sources.ingest.jsonl_batch.BATCH_FILES", 2)
    else:
        monkeypatch.setattr("sources.ingest.jsonl_batch.BATCH_BYTES", 300)  # about two files
    for day in range(5):
        write(landing / "web" / f"d{day}.jsonl", "\n".join(web_event(f"e{day}-{i}") for i in range(day + 1)))
    result = load(con, "web", landing)
    assert [(f.outcome, f.rows_loaded) for f in result.files] == [("loaded", d + 1) for d in range(5)]
    stamps = con.execute("SELECT _source_file FROM raw.web GROUP BY 1 ORDER BY min(_loaded_at)").fetchall()
    assert [f for (f,) in stamps] == [f"web/d{d}.jsonl" for d in range(5)]
    runs = con.execute("SELECT count(DISTINCT loaded_at) FROM audit.load_ledger").fetchone()[0]
    assert runs == 5  # one stamp per file, a microsecond apart inside a batch
    assert_reconciled(con)
