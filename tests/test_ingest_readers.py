"""Readers: every record gets the physical line it starts on, and unknown columns are kept."""

from __future__ import annotations

import json
from pathlib import Path

from tests.ingest_helpers import POS_HEADER, assert_reconciled, load, pos_line, web_event, write


def test_csv_lines_count_blank_lines_and_multiline_quoted_fields(con, landing: Path) -> None:
    text = "\n".join(
        [
            POS_HEADER + ",address_line1",
            pos_line("T1") + ',"12 High St, Flat 3"',  # line 2
            "",  # line 3: blank, not a record
            pos_line("T2") + ',"Flat 1\nRose Court"',  # lines 4-5
            pos_line("T3") + ',"say ""hi"""',  # line 6
        ]
    )
    write(landing / "pos" / "day1.csv", text + "\n")
    result = load(con, "pos", landing)
    assert result.files[0].rows_read == 3
    rows = con.execute(
        "SELECT transaction_id, _source_line, address_line1 FROM raw.pos ORDER BY 1"
    ).fetchall()
    assert rows == [("T1", 2, "12 High St, Flat 3"), ("T2", 4, "Flat 1\nRose Court"), ("T3", 6, 'say "hi"')]


def test_csv_with_bom_and_crlf(con, landing: Path) -> None:
    write(landing / "pos" / "win.csv", ("\ufeff" + POS_HEADER + "\r\n" + pos_line("T1") + "\r\n").encode())
    load(con, "pos", landing)
    assert con.execute("SELECT transaction_id, _source_line, amount FROM raw.pos").fetchall() == [
        ("T1", 2, __import__("decimal").Decimal("9.99"))
    ]


def test_unknown_columns_are_kept_in_extra(con, landing: Path) -> None:
    write(
        landing / "pos" / "x.csv",
        POS_HEADER + ",loyalty_tier,store_manager\n" + pos_line("T1") + ",gold,Ann\n",
    )
    result = load(con, "pos", landing)
    assert result.files[0].extra_columns == ["loyalty_tier", "store_manager"]
    extra = con.execute("SELECT _extra FROM raw.pos").fetchone()[0]
    assert json.loads(extra) == {"loyalty_tier": "gold", "store_manager": "Ann"}
    ledger = con.execute("SELECT extra_columns FROM audit.load_ledger").fetchone()[0]
    assert ledger == ["loyalty_tier", "store_manager"]


def test_jsonl_gzip_lines_and_extra_fields(con, landing: Path) -> None:
    lines = [web_event("e1"), "", web_event("e2", referrer_campaign={"id": 7}, user_id="ACC-1")]
    write(landing / "web" / "d1.jsonl.gz", "\n".join(lines) + "\n")
    load(con, "web", landing)
    rows = con.execute("SELECT event_id, _source_line, user_id, _extra FROM raw.web ORDER BY 1").fetchall()
    assert rows[0][:3] == ("e1", 1, None) and rows[0][3] is None
    assert rows[1][:3] == ("e2", 3, "ACC-1")
    assert json.loads(rows[1][3]) == {"referrer_campaign": {"id": 7}}


def test_types_are_cast_and_timestamps_kept_as_instants(con, landing: Path) -> None:
    write(
        landing / "pos" / "tz.csv",
        POS_HEADER + "\nT1,1,S-001,2025-06-01T10:00:00+02:00,SKU-1, 3 ,9.99,29.97\n",
    )
    load(con, "pos", landing)
    row = con.execute(
        "SELECT quantity, strftime(transaction_at AT TIME ZONE 'UTC', '%H:%M') FROM raw.pos"
    ).fetchone()
    assert row == (3, "08:00")


def test_callcenter_accepts_csv_and_jsonl(con, landing: Path) -> None:
    base = {
        "interaction_id": "I1",
        "channel": "phone",
        "direction": "inbound",
        "queue": "service",
        "started_at": "2025-01-01T10:00:00Z",
        "ended_at": "2025-01-01T10:05:00Z",
        "abandoned": False,
    }
    write(landing / "callcenter" / "a.jsonl", json.dumps(base) + "\n")
    header = ",".join(base)
    write(
        landing / "callcenter" / "b.csv",
        header + "\nI2,chat,inbound,chat,2025-01-01T10:00:00Z,2025-01-01T10:05:00Z,false\n",
    )
    result = load(con, "callcenter", landing)
    assert [f.outcome for f in result.files] == ["loaded", "loaded"]
    assert con.execute("SELECT count(*) FROM raw.callcenter WHERE NOT abandoned").fetchone()[0] == 2
    assert_reconciled(con)
