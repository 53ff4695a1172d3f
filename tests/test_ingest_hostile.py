"""Hostile landing files: links out of the landing folder, files with nothing loadable, damaged gzip."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

from pipelines.config import load_settings
from pipelines.defs.resources import LandingResource
from tests.ingest_helpers import POS_HEADER, assert_reconciled, counts, load, pos_line, web_event, write


def events(con, source_file: str) -> list[tuple]:
    return con.execute(
        "SELECT outcome, message, content_hash FROM audit.load_events WHERE source_file = ?", [source_file]
    ).fetchall()


def test_symlink_to_a_system_file_is_refused_named_and_never_read(con, landing: Path) -> None:
    (landing / "pos").mkdir()
    os.symlink("/etc/passwd", landing / "pos" / "p.csv")
    write(landing / "pos" / "good.csv", POS_HEADER + "\n" + pos_line("T1") + "\n")
    result = load(con, "pos", landing)
    outcomes = {f.source_file: f.outcome for f in result.files}
    assert outcomes == {"pos/p.csv": "rejected", "pos/good.csv": "loaded"}
    [refused] = result.rejected
    assert refused.messages[0].startswith("pos: pos/p.csv: refused: a symbolic link (to /etc/passwd)")
    assert counts(con, "pos") == (1, 0)  # nothing of /etc/passwd, not even in quarantine
    leaked = "SELECT count(*) FROM audit.quarantine WHERE original LIKE 'root:%'"
    assert con.execute(leaked).fetchone()[0] == 0
    assert events(con, "pos/p.csv") == [("rejected", refused.messages[0], None)]  # never hashed


def test_symlinked_csv_from_elsewhere_does_not_load(con, landing: Path, tmp_path: Path) -> None:
    outside = write(tmp_path / "elsewhere" / "sales.csv", POS_HEADER + "\n" + pos_line("T9") + "\n")
    (landing / "pos").mkdir()
    os.symlink(outside, landing / "pos" / "sales.csv")
    [f] = load(con, "pos", landing).files
    assert f.outcome == "rejected" and "symbolic link" in f.messages[0]
    assert counts(con, "pos") == (0, 0)
    assert con.execute("SELECT count(*) FROM audit.load_ledger").fetchone()[0] == 0


def test_file_under_a_linked_folder_is_refused(con, landing: Path, tmp_path: Path) -> None:
    write(tmp_path / "elsewhere" / "d1.jsonl", web_event("e1") + "\n")
    os.symlink(tmp_path / "elsewhere", landing / "web")
    [f] = load(con, "web", landing).files
    assert f.outcome == "rejected"
    assert "resolves outside the landing folder" in f.messages[0]
    assert counts(con, "web") == (0, 0)


def test_truncated_gzip_is_rejected_with_its_line_and_does_not_stop_the_others(con, landing: Path) -> None:
    write(landing / "web" / "d1.jsonl", web_event("a1") + "\n")
    lines = "\n".join(web_event(f"b{i}", user_id=f"ACC-{i * 7919}") for i in range(500))
    body = gzip.compress(lines.encode())
    (landing / "web" / "d2.jsonl.gz").write_bytes(body[: len(body) // 2])
    write(landing / "web" / "d3.jsonl.gz", web_event("c1") + "\n")
    result = load(con, "web", landing)
    assert result.failed == []
    [bad] = result.rejected
    assert bad.source_file == "web/d2.jsonl.gz"
    assert "damaged gzip stream" in bad.messages[0] and "complete line(s)" in bad.messages[0]
    assert events(con, "web/d2.jsonl.gz")[0][:2] == ("rejected", bad.messages[0])
    assert con.execute("SELECT list(event_id ORDER BY event_id) FROM raw.web").fetchone()[0] == ["a1", "c1"]
    assert_reconciled(con)


def test_semicolon_delimited_file_is_rejected_as_a_file(con, landing: Path) -> None:
    body = POS_HEADER.replace(",", ";") + "\n" + pos_line("T1").replace(",", ";") + "\n"
    write(landing / "pos" / "semi.csv", body)
    [f] = load(con, "pos", landing).files
    assert f.outcome == "rejected"
    assert "nothing loadable: the header lacks required column(s) transaction_id" in f.messages[0]
    assert "separated by ';'" in f.messages[0]
    assert events(con, "pos/semi.csv")[0][:2] == ("rejected", f.messages[0])
    assert counts(con, "pos") == (0, 0)
    assert con.execute("SELECT count(*) FROM audit.load_ledger").fetchone()[0] == 0


def test_another_feeds_file_is_rejected_naming_that_feed(con, landing: Path) -> None:
    write(landing / "web" / "pos.jsonl", '{"transaction_id": "T1", "line_number": 1}\n')
    write(landing / "pos" / "web.csv", "event_id,event_type,occurred_at,anonymous_id\ne1,page_view,x,a\n")
    write(landing / "web" / "ok.jsonl", web_event("e1") + "\n")
    web = {f.source_file: f for f in load(con, "web", landing).files}
    [pos] = load(con, "pos", landing).files
    assert web["web/ok.jsonl"].outcome == "loaded"
    assert web["web/pos.jsonl"].outcome == "rejected"
    assert "nothing loadable: none of its 1 record(s)" in web["web/pos.jsonl"].messages[0]
    assert pos.outcome == "rejected" and "those of feed web" in pos.messages[0]
    assert counts(con, "web") == (1, 0) and counts(con, "pos") == (0, 0)
    assert_reconciled(con)


def test_zero_byte_csv_is_rejected_and_empty_json_lines_load_nothing(con, landing: Path) -> None:
    write(landing / "pos" / "empty.csv", b"")
    write(landing / "callcenter" / "empty.csv", b"")
    # JSON lines of days without events (a small site's export): no rows, not a rejection
    write(landing / "web" / "d1.jsonl.gz", b"")  # write() gzips: a gzip of nothing
    write(landing / "web" / "d2.jsonl", b"")
    write(landing / "callcenter" / "chat.jsonl", b"")
    [pos] = load(con, "pos", landing).files
    web = {f.source_file: f for f in load(con, "web", landing).files}
    call = {f.source_file: f for f in load(con, "callcenter", landing).files}
    assert pos.outcome == "rejected"
    assert pos.messages == ["pos: pos/empty.csv: nothing loadable: empty file (0 bytes)"]
    assert events(con, "pos/empty.csv")[0][:2] == ("rejected", pos.messages[0])
    assert {f.outcome for f in web.values()} == {"skipped_empty"}
    assert events(con, "web/d1.jsonl.gz")[0][0] == "skipped_empty"
    # an empty chat export first does not let an empty calls CSV pass as its duplicate
    assert call["callcenter/empty.csv"].outcome == "rejected"
    assert call["callcenter/chat.jsonl"].outcome == "skipped_empty"
    assert counts(con, "web") == (0, 0)


def _pos_file(landing: Path, rows: list[str], extra: str = "") -> None:
    write(landing / "pos" / "p.csv", POS_HEADER + extra + "\n" + "\n".join(rows) + "\n")


def test_implausible_sale_dates_are_quarantined_with_the_reason(con, landing: Path) -> None:
    bounds = load_settings(landing.parent, env={"CRM360_SALES_SINCE": "2020-01-01"}).plausibility
    rows = [
        pos_line("T1"),
        pos_line("T2").replace("2025-01-01T10:00", "1900-01-01T10:00"),
        pos_line("T3").replace("2025-01-01T10:00", "2019-12-31T10:00"),
        pos_line("T4").replace("2025-01-01T10:00", "2099-01-01T10:00"),
    ]
    _pos_file(landing, rows)
    [f] = load(con, "pos", landing, plausibility=bounds).files
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (4, 1, 3)
    got = con.execute("SELECT source_line, column_name, reason FROM audit.quarantine ORDER BY 1").fetchall()
    assert got == [
        (3, "transaction_at", "column transaction_at: '1900-01-01T10:00:00+00:00' is before 2020-01-01 "
         "(CRM360_SALES_SINCE)"),
        (4, "transaction_at", "column transaction_at: '2019-12-31T10:00:00+00:00' is before 2020-01-01 "
         "(CRM360_SALES_SINCE)"),
        (5, "transaction_at", "column transaction_at: '2099-01-01T10:00:00+00:00' is after the load time"),
    ]  # fmt: skip
    assert_reconciled(con)


def test_dates_of_birth_must_give_an_age_of_0_to_120(con, landing: Path) -> None:
    dobs = ["1984-03-21", "1900-01-01", "2099-01-01", ""]
    _pos_file(landing, [pos_line(f"T{i}") + f",{d}" for i, d in enumerate(dobs)], ",date_of_birth")
    load(con, "pos", landing)
    got = con.execute("SELECT source_line, reason FROM audit.quarantine ORDER BY 1").fetchall()
    assert got == [
        (3, "column date_of_birth: '1900-01-01' gives an age over 120 (CRM360_MAX_AGE_YEARS)"),
        (4, "column date_of_birth: '2099-01-01' is in the future"),
    ]
    assert counts(con, "pos") == (2, 2)


def test_negative_quantity_must_reference_a_return(con, landing: Path) -> None:
    rows = [pos_line("T1", qty="-5", amount="-49.95") + ",", pos_line("T2", qty="-1", amount="-9.99") + ",T0"]
    _pos_file(landing, rows, ",return_of_transaction_id")
    load(con, "pos", landing)
    got = con.execute("SELECT source_line, column_name, reason FROM audit.quarantine").fetchall()
    assert got == [
        (
            2,
            "return_of_transaction_id",
            "negative quantity without return_of_transaction_id: a return must name its original sale",
        )
    ]
    assert con.execute("SELECT list(transaction_id) FROM raw.pos").fetchone()[0] == ["T2"]


def _quarantined(con) -> list[tuple]:
    return con.execute(
        "SELECT source_line, reason, original, original_bytes, original_length FROM audit.quarantine"
    ).fetchall()


def test_latin1_row_keeps_its_original_bytes(con, landing: Path) -> None:
    line = (pos_line("T3") + ",Jos\xe9,Garc\xeda").encode("latin-1")
    write(landing / "pos" / "lat.csv", (POS_HEADER + ",first_name,last_name\n").encode() + line + b"\n")
    load(con, "pos", landing)
    [(n, reason, original, raw, length)] = _quarantined(con)
    assert (n, reason) == (2, "invalid UTF-8 encoding")
    assert raw == line and length == len(line)  # the exact bytes, the comma kept
    assert original.endswith("Jos\\xe9,Garc\\xeda")


def test_10mb_field_is_reported_as_a_long_line_with_its_length(con, landing: Path) -> None:
    from sources.ingest.originals import ORIGINAL_MAX_BYTES

    big = pos_line("T1") + "," + "x" * 10_000_000
    write(landing / "pos" / "big.csv", POS_HEADER + ",first_name\n" + big + "\n" + pos_line("T2") + ",Ann\n")
    big_event = web_event("e1", first_name="x" * 10_000_000)
    write(landing / "web" / "big.jsonl", big_event + "\n" + web_event("e2") + "\n")
    pos = load(con, "pos", landing).files[0]
    load(con, "web", landing)
    assert (pos.rows_read, pos.rows_loaded, pos.rows_quarantined) == (2, 1, 1)
    rows = _quarantined(con)
    assert [r[1].split(":")[0] for r in rows] == ["line too long", "line too long"]
    assert all("missing required" not in r[1] and "UTF-8" not in r[1] for r in rows)
    [csv_row] = [r for r in rows if r[0] == 2]
    assert csv_row[4] == len(big) and csv_row[3] == big.encode()[:ORIGINAL_MAX_BYTES]
    assert_reconciled(con)


def test_landing_sensor_lists_a_dangling_symlink_without_following_it(landing: Path) -> None:
    from pipelines.defs.sensors import landing_snapshot

    (landing / "pos").mkdir()
    os.symlink(landing / "nowhere.csv", landing / "pos" / "gone.csv")
    assert [e.split(":")[0] for e in landing_snapshot(landing)["pos"]] == ["pos/gone.csv"]


def test_the_oldest_plausible_age_is_a_setting(con, landing: Path, monkeypatch) -> None:
    monkeypatch.setenv("CRM360_MAX_AGE_YEARS", "150")  # the loader never reads it: settings do, once
    _pos_file(landing, [pos_line("T1") + ",1900-01-01"], ",date_of_birth")
    load(con, "pos", landing)
    assert counts(con, "pos") == (0, 1)
    bounds = load_settings(landing.parent, env={"CRM360_MAX_AGE_YEARS": "150"}).plausibility
    assert LandingResource.from_settings(load_settings(landing.parent)).plausibility() == bounds
    (landing / "pos" / "p.csv").rename(landing / "pos" / "p2.csv")
    _pos_file(landing, [pos_line("T2") + ",1900-01-01"], ",date_of_birth")
    load(con, "pos", landing, plausibility=bounds)
    assert counts(con, "pos") == (1, 1)
    with pytest.raises(ValueError, match="CRM360_MAX_AGE_YEARS"):
        load_settings(landing.parent, env={"CRM360_MAX_AGE_YEARS": "old"})
