"""Records of people on the suppression list are dropped at ingestion, counted, and never stored."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from sources.feeds import FEEDS
from sources.ingest.files import discover
from sources.ingest.loader import load_feed
from sources.ingest.one_file import load_file
from sources.ingest.results import FeedLoad
from sources.ingest.schema import ensure_schema
from sources.privacy.pseudonym import padded_keys
from sources.privacy.suppression import SuppressionKeyError, add_entries, suppression_predicate
from tests.ingest_helpers import POS_HEADER, assert_reconciled, write

KEY = b"test-pseudonym-key-0123456789abcdef"
POS_CONTACT_HEADER = POS_HEADER + ",customer_ref,email,phone"


def pos_row(tid: str, ref: str = "", email: str = "", phone: str = "", qty: str = "1") -> str:
    return f"{tid},1,S-001,2025-01-01T10:00:00+00:00,SKU-1,{qty},9.99,9.99,{ref},{email},{phone}"


def pos_file(path: Path, *rows: str) -> Path:
    return write(path, "\n".join([POS_CONTACT_HEADER, *rows]) + "\n")


def erase(con: duckdb.DuckDBPyConnection, key: bytes = KEY) -> None:
    """What `crm360 erase` will do to the list: one person by e-mail, phone and customer id."""
    ensure_schema(con, [])
    add_entries(con, key, "email", ["anna@example.com"], "erasure-1")
    add_entries(con, key, "phone", ["+44 20 7946 0123"], "erasure-1")
    add_entries(con, key, "customer_id", ["C-0042"], "erasure-1")


def ledger(con: duckdb.DuckDBPyConnection, feed: str) -> list[tuple]:
    return con.execute(
        "SELECT source_file, rows_read, rows_loaded, rows_quarantined, rows_suppressed "
        "FROM audit.load_ledger WHERE feed = ? ORDER BY source_file",
        [feed],
    ).fetchall()


def raw_ids(con: duckdb.DuckDBPyConnection, feed: str, column: str) -> list[str]:
    return [r[0] for r in con.execute(f"SELECT {column} FROM raw.{feed} ORDER BY 1").fetchall()]


@pytest.fixture
def warehouse(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    yield con
    con.close()


def test_pos_drops_each_kind_in_another_notation_and_counts_it(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    con, landing = warehouse, tmp_path / "landing"
    erase(con)
    pos_file(
        landing / "pos" / "d1.csv",
        pos_row("T1", email="Anna+News@Example.COM "),  # e-mail: case, alias, space
        pos_row("T2", phone="0044 20 7946 0123 ext 12"),  # phone: another notation
        pos_row("T3", ref="c-0042"),  # customer id: case
        pos_row("T4", email="bob@example.com", phone="+44 20 7946 9999", ref="C-0043"),
        pos_row("T5", email="anna@example.com", qty="many"),  # invalid too: suppressed, not quarantined
        pos_row("T6", email="carol@example.com", qty="many"),  # quarantined
    )
    pos_file(landing / "pos" / "d2.csv", pos_row("T7", ref="C-00 42"), pos_row("T8", ref="C-0044"))
    result = load_feed(con, FEEDS["pos"], landing, "run-1", key=KEY)
    assert raw_ids(con, "pos", "transaction_id") == ["T4", "T8"]
    assert con.execute("SELECT original FROM audit.quarantine").fetchall() == [
        (pos_row("T6", email="carol@example.com", qty="many"),)
    ]
    assert ledger(con, "pos") == [("pos/d1.csv", 6, 1, 1, 4), ("pos/d2.csv", 2, 1, 0, 1)]
    assert [f.rows_suppressed for f in result.files] == [4, 1]
    assert_reconciled(con)
    events = con.execute("SELECT message FROM audit.load_events ORDER BY source_file").fetchall()
    assert events == [
        ("4 rows suppressed (on the suppression list)",),
        ("1 rows suppressed (on the suppression list)",),
    ]
    assert "4 rows suppressed (on the suppression list)" in result.files[0].messages


def test_one_file_path_drops_and_counts_too(warehouse: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    con, landing, contract = warehouse, tmp_path / "landing", FEEDS["pos"]
    erase(con)
    pos_file(landing / "pos" / "d1.csv", pos_row("T1", phone="+44 (0)20 7946 0123"), pos_row("T2"))
    ensure_schema(con, [contract])
    con.execute("ATTACH IF NOT EXISTS ':memory:' AS scratch")
    (lf,) = discover(landing, contract)
    fl = load_file(con, contract, lf, "run-1", suppress=suppression_predicate(con, contract, KEY))
    assert (fl.outcome, fl.rows_read, fl.rows_loaded, fl.rows_quarantined, fl.rows_suppressed) == (
        "loaded",
        2,
        1,
        0,
        1,
    )
    assert raw_ids(con, "pos", "transaction_id") == ["T2"]
    assert ledger(con, "pos") == [("pos/d1.csv", 2, 1, 0, 1)]
    assert con.execute("SELECT message FROM audit.load_events").fetchall() == [
        ("1 rows suppressed (on the suppression list)",)
    ]


def web_line(event_id: str, anonymous_id: str, user_id: str | None = None) -> str:
    event = {"event_id": event_id, "event_type": "page_view", "occurred_at": "2025-01-01T10:00:00+00:00"}
    return json.dumps(event | {"anonymous_id": anonymous_id, "user_id": user_id})


def test_web_drops_user_id_and_anonymous_id(warehouse: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    con, landing = warehouse, tmp_path / "landing"
    erase(con)
    add_entries(con, KEY, "online_id", ["cookie-anna"], "erasure-1")
    lines = [
        web_line("e1", "cookie-anna"),
        web_line("e2", "cookie-other", "c-0042"),
        web_line("e3", "cookie-other", "C-0043"),
        web_line("e4", " cookie-anna ", None),
    ]
    write(landing / "web" / "2025-01-01.jsonl", "\n".join(lines) + "\n")
    load_feed(con, FEEDS["web"], landing, "run-1", key=KEY)
    assert raw_ids(con, "web", "event_id") == ["e3"]
    assert ledger(con, "web") == [("web/2025-01-01.jsonl", 4, 1, 0, 3)]
    assert_reconciled(con)


def test_campaign_audience_drops_the_customer_ref(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    con, landing = warehouse, tmp_path / "landing"
    erase(con)
    rows = [
        "campaign_id,launched_at,customer_ref,cell",
        "K1,2025-01-01,C-0042,target",
        "K1,2025-01-01,C-0043,control",
    ]
    write(landing / "lists" / "audience" / "k1.csv", "\n".join(rows) + "\n")
    load_feed(con, FEEDS["campaign_audience"], landing, "run-1", key=KEY)
    assert raw_ids(con, "campaign_audience", "customer_ref") == ["C-0043"]
    assert ledger(con, "campaign_audience") == [("lists/audience/k1.csv", 2, 1, 0, 1)]


def test_a_redelivered_changed_file_is_dropped_again(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    con, landing = warehouse, tmp_path / "landing"
    erase(con)
    first = pos_file(landing / "pos" / "d1.csv", pos_row("T1", email="anna@example.com"), pos_row("T2"))
    load_feed(con, FEEDS["pos"], landing, "run-1", key=KEY)
    pos_file(first, pos_row("T1", email="ANNA@example.com"), pos_row("T2"), pos_row("T3"))  # corrected
    pos_file(landing / "pos" / "old" / "d0.csv", pos_row("T0", phone="+442079460123"))  # an old file turns up
    load_feed(con, FEEDS["pos"], landing, "run-2", key=KEY)
    assert raw_ids(con, "pos", "transaction_id") == ["T2", "T2", "T3"]
    assert sorted(ledger(con, "pos")) == [
        ("pos/d1.csv", 2, 1, 0, 1),
        ("pos/d1.csv", 3, 2, 0, 1),
        ("pos/old/d0.csv", 1, 0, 0, 1),
    ]
    assert_reconciled(con)


def test_a_changed_key_or_no_key_is_refused(warehouse: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    con, landing = warehouse, tmp_path / "landing"
    erase(con)
    pos_file(landing / "pos" / "d1.csv", pos_row("T1", email="anna@example.com"))
    with pytest.raises(SuppressionKeyError, match="key changed"):
        load_feed(con, FEEDS["pos"], landing, "run-1", key=b"another-key-0123456789abcdef")
    with pytest.raises(SuppressionKeyError, match="no pseudonym key"):
        load_feed(con, FEEDS["pos"], landing, "run-1")
    assert con.execute("SELECT count(*) FROM raw.pos").fetchone()[0] == 0


def test_an_empty_list_changes_nothing(warehouse: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    con, landing = warehouse, tmp_path / "landing"
    pos_file(landing / "pos" / "d1.csv", pos_row("T1", email="anna@example.com"))
    result: FeedLoad = load_feed(con, FEEDS["pos"], landing, "run-1", key=KEY)
    assert ledger(con, "pos") == [("pos/d1.csv", 1, 1, 0, 0)]
    assert result.files[0].messages == []


def test_the_warehouse_file_never_holds_the_key_or_the_suppressed_values(tmp_path: Path) -> None:
    path, landing = tmp_path / "wh.duckdb", tmp_path / "landing"
    pos_file(
        landing / "pos" / "d1.csv",
        pos_row("T1", email="anna.secret@example.com"),
        pos_row("T2", email="bob@example.com", qty="bad"),
    )
    with duckdb.connect(str(path)) as con:
        ensure_schema(con, [])
        add_entries(con, KEY, "email", ["anna.secret@example.com"], "erasure-1")
        load_feed(con, FEEDS["pos"], landing, "run-1", key=KEY)
        assert raw_ids(con, "pos", "transaction_id") == []
        con.execute("CHECKPOINT")
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("wh.duckdb*"))
    assert b"bob@example.com" in stored  # the quarantined record: the bytes are readable here
    inner, outer = padded_keys(KEY)
    for secret in (KEY, KEY.hex().encode(), inner, outer, inner.hex().encode(), outer.hex().encode()):
        assert secret not in stored
    assert b"anna.secret" not in stored


def test_load_reconciliation_counts_suppressed_records(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    from quality.reconciliation import reconcile_loads

    con, landing = warehouse, tmp_path / "landing"
    erase(con)
    pos_file(landing / "pos" / "d1.csv", pos_row("T1", ref="C-0042"), pos_row("T2"), pos_row("T3", qty="x"))
    load_feed(con, FEEDS["pos"], landing, "run-1", key=KEY)
    [result] = reconcile_loads(con, "pos").results
    assert result.passed, result.sample
    con.execute("UPDATE audit.load_ledger SET rows_suppressed = 0")  # a suppressed record unaccounted for
    run = reconcile_loads(con, "pos")
    assert not run.results[0].passed
    assert [(r.layer_b, r.value_a, r.value_b) for r in run.rows] == [
        ("audit.load_ledger.rows_loaded + rows_quarantined + rows_suppressed", 3, 2)
    ]


def test_a_failing_suppression_query_names_no_key_material(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    con, landing, contract = warehouse, tmp_path / "landing", FEEDS["pos"]
    erase(con)
    pos_file(landing / "pos" / "d1.csv", pos_row("T1"))
    ensure_schema(con, [contract])
    con.execute("ATTACH IF NOT EXISTS ':memory:' AS scratch")
    (lf,) = discover(landing, contract)
    broken = "no_such_column OR " + suppression_predicate(con, contract, KEY)  # DuckDB quotes the query
    fl = load_file(con, contract, lf, "run-1", suppress=broken)
    assert fl.outcome == "failed" and "no_such_column" in fl.messages[-1]
    inner, outer = padded_keys(KEY)
    stored = con.execute("SELECT string_agg(message, ' ') FROM audit.load_events").fetchone()[0]
    for text in (fl.messages[-1], stored):
        assert "unhex" not in text and inner.hex()[:8] not in text and outer.hex()[:8] not in text


def test_a_record_the_parser_cannot_split_is_searched_for_listed_identifiers(
    warehouse: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    con, landing = warehouse, tmp_path / "landing"
    erase(con)
    add_entries(con, KEY, "online_id", ["cookie-anna"], "erasure-1")
    pos_file(
        landing / "pos" / "d1.csv",
        pos_row("T1", email="Anna+x@Example.com") + ",one too many",  # malformed: an extra field
        pos_row("T2", email="bob@example.com") + ",one too many",  # malformed: quarantined
        pos_row("T3", phone="+44 20 7946 0123") + ",one too many",
        pos_row("T4"),
    )
    broken_web = '{"event_id": "e1", "anonymous_id": "cookie-anna", "event_type": "page_view"'
    write(landing / "web" / "2025-01-01.jsonl", broken_web + "\n" + web_line("e2", "cookie-other") + "\n")
    load_feed(con, FEEDS["pos"], landing, "run-1", key=KEY)
    load_feed(con, FEEDS["web"], landing, "run-1", key=KEY)
    quarantined = [r[0] for r in con.execute("SELECT original FROM audit.quarantine").fetchall()]
    assert quarantined == [pos_row("T2", email="bob@example.com") + ",one too many"]
    assert ledger(con, "pos") == [("pos/d1.csv", 4, 1, 1, 2)]
    assert ledger(con, "web") == [("web/2025-01-01.jsonl", 2, 1, 0, 1)]
    assert_reconciled(con)
