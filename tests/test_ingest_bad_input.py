"""Bad input: every case gives a message naming feed, file, line and column, and loses nothing."""

from __future__ import annotations

from pathlib import Path

from tests.ingest_helpers import POS_HEADER, assert_reconciled, counts, load, pos_line, web_event, write


def quarantine(con) -> list[tuple]:
    return con.execute(
        "SELECT source_file, source_line, column_name, reason, original FROM audit.quarantine "
        "ORDER BY source_file, source_line"
    ).fetchall()


def test_truncated_csv_keeps_good_rows_and_quarantines_the_cut_one(con, landing: Path) -> None:
    body = POS_HEADER + "\n" + pos_line("T1") + "\n" + pos_line("T2") + "\n" + "T3,1,S-001,2025-01-0"
    write(landing / "pos" / "cut.csv", body)
    result = load(con, "pos", landing)
    f = result.files[0]
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (3, 2, 1)
    [(file, line, column, reason, original)] = quarantine(con)
    assert (file, line, original) == ("pos/cut.csv", 4, "T3,1,S-001,2025-01-0")
    assert "MISSING COLUMNS" in reason and column is not None
    assert any("pos: pos/cut.csv line 4: malformed CSV record" in m for m in f.messages)
    assert_reconciled(con)


def test_wrong_encoding_quarantines_the_line_with_its_number(con, landing: Path) -> None:
    good = (POS_HEADER + ",first_name\n" + pos_line("T1") + ",Zoë\n").encode()
    latin1 = (pos_line("T2") + ",Zo\xeb\n").encode("latin-1")
    write(landing / "pos" / "enc.csv", good + latin1 + (pos_line("T3") + ",Ann\n").encode())
    result = load(con, "pos", landing)
    f = result.files[0]
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (3, 2, 1)
    [(file, line, _col, reason, _orig)] = quarantine(con)
    assert (file, line, reason) == ("pos/enc.csv", 3, "invalid UTF-8 encoding")
    names = con.execute("SELECT first_name, _source_line FROM raw.pos ORDER BY 2").fetchall()
    assert names == [("Zoë", 2), ("Ann", 4)]


def test_wrong_encoding_in_jsonl(con, landing: Path) -> None:
    latin1 = web_event("e2", first_name="Zo#").replace("#", "\xeb").encode("latin-1")
    body = (web_event("e1") + "\n").encode() + latin1 + b"\n"
    write(landing / "web" / "enc.jsonl", body + (web_event("e3") + "\n").encode())
    load(con, "web", landing)
    assert [r[1:4] for r in quarantine(con)] == [(2, None, "invalid UTF-8 encoding")]
    assert con.execute("SELECT list(event_id ORDER BY _source_line) FROM raw.web").fetchone()[0] == [
        "e1",
        "e3",
    ]


def test_wrong_types_name_the_column_and_value(con, landing: Path) -> None:
    rows = [
        pos_line("T1", qty="two"),
        "T2,1,S-001,yesterday,SKU-1,1,9.99,9.99",
        pos_line("T3", amount="9,99").replace("9,99", '"9,99"'),
        pos_line("T4"),
    ]
    write(landing / "pos" / "types.csv", POS_HEADER + "\n" + "\n".join(rows) + "\n")
    load(con, "pos", landing)
    got = [(line, col, reason) for _f, line, col, reason, _o in quarantine(con)]
    assert got == [
        (2, "quantity", "column quantity: 'two' is not a valid INTEGER"),
        (3, "transaction_at", "column transaction_at: 'yesterday' is not a valid TIMESTAMPTZ"),
        (4, "amount", "column amount: '9,99' is not a valid DECIMAL(12,2)"),
    ]
    assert counts(con, "pos") == (1, 3)
    assert_reconciled(con)


def test_values_outside_the_allowed_set_and_missing_required(con, landing: Path) -> None:
    write(
        landing / "web" / "v.jsonl",
        "\n".join([web_event("e1", event_type="teleport"), '{"event_type": "login"}', web_event("e3")])
        + "\n",
    )
    load(con, "web", landing)
    got = [(line, col) for _f, line, col, _r, _o in quarantine(con)]
    assert got == [(1, "event_type"), (2, "event_id")]
    reasons = [r[3] for r in quarantine(con)]
    assert "'teleport' is not one of page_view" in reasons[0]
    assert reasons[1].startswith("missing required column event_id; missing required column occurred_at")


def test_malformed_json_lines(con, landing: Path) -> None:
    write(landing / "web" / "m.jsonl", web_event("e1") + '\n{"event_id": "e2",\n[1, 2]\n"text"\n')
    result = load(con, "web", landing)
    f = result.files[0]
    assert (f.rows_read, f.rows_loaded, f.rows_quarantined) == (4, 1, 3)
    assert {r[3] for r in quarantine(con)} == {"malformed JSON line (not a complete JSON object)"}
    assert [r[4] for r in quarantine(con)] == ['{"event_id": "e2",', "[1, 2]", '"text"']


def test_header_only_file(con, landing: Path) -> None:
    write(landing / "pos" / "header.csv", POS_HEADER + "\n")
    f = load(con, "pos", landing).files[0]
    assert (f.outcome, f.rows_read, f.rows_loaded, f.rows_quarantined) == ("loaded", 0, 0, 0)


def test_header_without_a_required_column_rejects_the_file(con, landing: Path) -> None:
    header = POS_HEADER.replace(",sku", ",product")
    write(landing / "pos" / "nosku.csv", header + "\n" + pos_line("T1") + "\n" + pos_line("T2") + "\n")
    f = load(con, "pos", landing).files[0]
    assert (f.outcome, f.rows_read, f.rows_loaded, f.rows_quarantined) == ("rejected", 0, 0, 0)
    assert "nothing loadable: the header lacks required column(s) sku" in f.messages[0]
    assert quarantine(con) == []


def test_stray_quote_fails_the_file_loudly_and_commits_nothing(con, landing: Path) -> None:
    write(
        landing / "pos" / "q.csv",
        POS_HEADER + ",first_name\n" + pos_line("T1") + ',Jo"hn\n' + pos_line("T2") + ",A\n",
    )
    f = load(con, "pos", landing).files[0]
    if f.outcome == "rejected":
        assert "pos: pos/q.csv" in f.messages[0]
        assert counts(con, "pos") == (0, 0)
    else:  # the reader could number the records: then nothing may be lost either
        assert f.rows_read == f.rows_loaded + f.rows_quarantined == 2
    assert_reconciled(con)


def test_format_not_accepted_by_the_feed(con, landing: Path) -> None:
    write(landing / "pos" / "oops.jsonl", web_event("e1") + "\n")
    f = load(con, "pos", landing).files[0]
    assert f.outcome == "rejected"
    assert f.messages[0] == "pos: pos/oops.jsonl: format jsonl is not accepted for feed pos (accepted: csv)"


def test_header_with_a_repeated_column_fails_loudly(con, landing: Path) -> None:
    write(landing / "pos" / "dup.csv", POS_HEADER + ",sku\n" + pos_line("T1") + ",X\n")
    f = load(con, "pos", landing).files[0]
    assert f.outcome == "rejected" and "header repeats column(s) sku" in f.messages[0]
