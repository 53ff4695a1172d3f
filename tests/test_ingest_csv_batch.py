"""CSV files read together load exactly what loading them one by one loads."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from sources.feeds import FEEDS
from sources.ingest import loader
from sources.ingest.files import content_hash, discover
from sources.ingest.loader import load_file
from tests.ingest_helpers import POS_HEADER, assert_reconciled, load, pos_line, write

RAW = "SELECT * EXCLUDE (_loaded_at) FROM raw.pos ORDER BY _source_file, _source_line"
QUARANTINE = "SELECT * EXCLUDE (quarantined_at) FROM audit.quarantine ORDER BY source_file, source_line"
LEDGER = (
    "SELECT load_id, source_file, rows_read, rows_loaded, rows_quarantined, extra_columns "
    "FROM audit.load_ledger ORDER BY source_file"
)


def _landing(root: Path) -> None:
    """Eleven days of POS files, each with something a reader can get wrong."""
    pos = root / "pos"
    ok = pos_line
    write(pos / "d01.csv", "\n".join([POS_HEADER, ok("A1"), "", ok("A2", 2), "   ", ok("A3")]) + "\n")
    write(pos / "d02.csv.gz", "\r\n".join([POS_HEADER, ok("B1"), ok("B2") + ",EXTRA", ok("B3")]))
    bad_types = [ok("C1", qty="two"), ok("C2").replace("S-001", ""), "C3,1,S-001", ok("C4")]
    write(pos / "d03.csv", "\n".join([POS_HEADER, *bad_types]) + "\n")
    write(pos / "d04.csv", POS_HEADER + "\n")  # header only
    write(pos / "d05.csv", "\n".join([POS_HEADER + ",loyalty_tier", ok("E1") + ",gold", ok("E2") + ","]))
    write(
        pos / "d06.csv", "\n".join([POS_HEADER, ok("F1"), 'F2,1,"S-0\n01",2025-01-01T10:00:00+00:00,X,1,1,1'])
    )
    write(pos / "d07.csv", "\n".join([POS_HEADER, ok("G1"), ok("G2")]) + "\n")
    latin1 = ok("H2").replace("SKU-1", "SKU-\xeb").encode("latin-1")
    write(pos / "d08.csv", (POS_HEADER + "\n" + ok("H1") + "\n").encode() + latin1 + b"\n")
    write(
        pos / "d09.csv", "\n".join([POS_HEADER.replace("sku,", ""), "I1,1,S-001,2025-01-01T10:00:00Z,1,1,1"])
    )
    write(pos / "d10.csv", "\n".join([POS_HEADER, ok("J1"), ok("J1", 2, amount="1e999")]) + "\n")
    write(pos / "d11.csv", "")


def _one_by_one(root: Path, db: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(db))
    load(con, "pos", root / "empty")  # creates the tables
    for lf in discover(root, FEEDS["pos"]):
        load_file(con, FEEDS["pos"], lf, "test", digest=content_hash(lf.path))
    return con


def test_read_together_equals_one_by_one(con, landing: Path, tmp_path: Path, monkeypatch) -> None:
    _landing(landing)
    reads: list[list[str]] = []
    shared = loader.stage_csv_files

    def spy(con, files, **kwargs):
        reads.append([lf.path.name for lf in files])
        return shared(con, files, **kwargs)

    monkeypatch.setattr(loader, "stage_csv_files", spy)
    result = load(con, "pos", landing)
    # A new header (d05) or a file the shared read cannot take (d09 lacks sku, d11 is empty)
    # ends a shared read; d06's quoted line break sends d06 to d08 one by one.
    assert reads == [
        ["d01.csv", "d02.csv.gz", "d03.csv", "d04.csv"],
        ["d05.csv"],
        ["d06.csv", "d07.csv", "d08.csv"],
        ["d10.csv"],
    ]
    reference = _one_by_one(landing, tmp_path / "reference.duckdb")
    for sql in (RAW, QUARANTINE, LEDGER):
        assert con.execute(sql).fetchall() == reference.execute(sql).fetchall(), sql
    outcomes = {f.source_file: f.outcome for f in result.files}
    assert outcomes == {
        f"pos/d{d:02}.csv" + (".gz" if d == 2 else ""): "rejected" if d in (9, 11) else "loaded"
        for d in range(1, 12)
    }  # d09 lacks sku, d11 is empty: nothing loadable
    quarantined = con.execute(
        "SELECT source_file, source_line FROM audit.quarantine ORDER BY 1, 2"
    ).fetchall()
    assert quarantined == [
        ("pos/d01.csv", 5),  # whitespace only: a record of one column
        ("pos/d02.csv.gz", 3),  # one column too many
        ("pos/d03.csv", 2),  # quantity 'two'
        ("pos/d03.csv", 3),  # required store_id empty
        ("pos/d03.csv", 4),  # too few columns
        ("pos/d08.csv", 3),  # latin-1
        ("pos/d10.csv", 3),  # amount out of DECIMAL(12,2)
    ]
    lines = con.execute(
        "SELECT list(_source_line ORDER BY _source_line) FROM raw.pos WHERE _source_file = 'pos/d01.csv'"
    )
    assert lines.fetchone()[0] == [2, 4, 6]  # line 3 is blank: not a record
    # d06 has a quoted line break: from it on, files go one by one, still after d01 to d05
    order = con.execute("SELECT _source_file FROM raw.pos GROUP BY 1 ORDER BY min(_loaded_at)").fetchall()
    assert [f for (f,) in order] == [
        "pos/d01.csv", "pos/d02.csv.gz", "pos/d03.csv", "pos/d05.csv", "pos/d06.csv", "pos/d07.csv",
        "pos/d08.csv", "pos/d10.csv",
    ]  # fmt: skip
    assert_reconciled(con)


@pytest.mark.parametrize("limit", ["files", "bytes"])
def test_csv_batches_split_by_file_count_size_and_header(con, landing: Path, monkeypatch, limit: str) -> None:
    if limit == "files":
        monkeypatch.setattr("sources.ingest.batch.BATCH_FILES", 2)
    else:
        monkeypatch.setattr("sources.ingest.csv_batch.BATCH_BYTES", 300)  # about two files
    for day in range(6):
        header = POS_HEADER + (",note" if day == 3 else "")
        rows = [pos_line(f"T{day}-{i}") + (",n" if day == 3 else "") for i in range(day + 1)]
        write(landing / "pos" / f"d{day}.csv", "\n".join([header, *rows]) + "\n")
    result = load(con, "pos", landing)
    assert [(f.outcome, f.rows_loaded) for f in result.files] == [("loaded", d + 1) for d in range(6)]
    assert result.files[3].extra_columns == ["note"] and result.files[4].extra_columns == []
    stamps = con.execute("SELECT _source_file FROM raw.pos GROUP BY 1 ORDER BY min(_loaded_at)").fetchall()
    assert [f for (f,) in stamps] == [f"pos/d{d}.csv" for d in range(6)]
    assert con.execute("SELECT count(DISTINCT loaded_at) FROM audit.load_ledger").fetchone()[0] == 6
    assert_reconciled(con)
