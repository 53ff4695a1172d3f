"""Pseudonyms and match keys: the SQL forms equal the Python ones, and the key is handled safely."""

from __future__ import annotations

import hashlib
import hmac
import stat
from pathlib import Path

import duckdb
import pytest

from sources.privacy.pseudonym import key_id, load_key, pseudonym, pseudonym_sql
from sources.privacy.suppression import (
    PRIVACY_DDL,
    SuppressionKeyError,
    add_entries,
    match_key,
    match_key_sql,
)

KEYS = [
    b"k" * 16,
    b"0123456789abcdef0123456789abcdef",
    b"x" * 64,
    b"long key " * 20,
    "clé 漢字 🔑 secret".encode(),
]
TEXTS = ["anna@example.com", "", "é", "漢字", "emoji 😀 text", "a" * 200, "line\nbreak", "O'Brien"]


def sql_values(con: duckdb.DuckDBPyConnection, expr_of: object, texts: list[str | None]) -> list[str | None]:
    """expr_of(column) evaluated by DuckDB over `texts`, in order."""
    return [
        r[0]
        for r in con.execute(
            f"SELECT {expr_of('t')} FROM "
            "(SELECT unnest(?::VARCHAR[]) AS t, generate_subscripts(?::VARCHAR[], 1) AS i) ORDER BY i",
            [texts, texts],
        ).fetchall()
    ]


@pytest.mark.parametrize("key", KEYS, ids=lambda k: f"{len(k)}B")
def test_pseudonym_sql_equals_python_hmac(key: bytes) -> None:
    con = duckdb.connect()
    got = sql_values(con, lambda col: pseudonym_sql(col, key), [*TEXTS, None])
    assert got == [hmac.new(key, t.encode(), hashlib.sha256).hexdigest() for t in TEXTS] + [None]
    assert got[:-1] == [pseudonym(key, t) for t in TEXTS]


def test_key_id_is_short_stable_and_differs_by_key() -> None:
    assert key_id(KEYS[0]) == key_id(KEYS[0]) and len(key_id(KEYS[0])) == 16
    assert key_id(KEYS[0]) != key_id(KEYS[1])
    assert KEYS[0].hex() not in key_id(KEYS[0])


def test_load_key_setting_wins_over_the_file(tmp_path: Path) -> None:
    key_file = tmp_path / "secrets" / "pseudonym.key"
    assert load_key("  a-setting-key-of-32-characters  ", key_file) == b"a-setting-key-of-32-characters"
    assert not key_file.exists()


def test_load_key_creates_a_private_key_file_once(tmp_path: Path) -> None:
    key_file = tmp_path / "new" / "secrets" / "pseudonym.key"
    first = load_key(None, key_file)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first) == 64 and bytes.fromhex(first.decode())  # 32 random bytes, hex
    assert load_key("", key_file) == first  # an empty setting reads the same file
    assert list(key_file.parent.iterdir()) == [key_file]  # no temporary file left behind
    assert load_key(None, tmp_path / "other.key") != first


def test_load_key_refuses_a_short_key_and_an_open_key_file(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 16 characters"):
        load_key("too-short", tmp_path / "k")
    short = tmp_path / "short.key"
    short.write_text("abc\n")
    short.chmod(0o600)
    with pytest.raises(ValueError, match="at least 16 characters"):
        load_key(None, short)
    shared = tmp_path / "shared.key"
    shared.write_text("a" * 32)
    shared.chmod(0o644)
    with pytest.raises(PermissionError, match="chmod 600"):
        load_key(None, shared)


MATCH_CASES = {
    "email": {
        "Anna+News@Example.COM ": "anna@example.com",
        "anna@example.com": "anna@example.com",
        "a+b+c@x.org": "a@x.org",
        "\tanna@x.com\r\n": "anna@x.com",
        "  ": None,
        "": None,
        "Émile@Exemple.fr": "émile@exemple.fr",
        "no-at-sign+x": "no-at-sign+x",
    },
    "phone": {
        "+44 20 7946 0123": "442079460123",
        "0044 20 7946 0123": "442079460123",
        "+44 (0)20 7946 0123": "442079460123",
        "+44-20-7946-0123 ext 12": "442079460123",
        "+44 20 7946 0123 x12": "442079460123",
        "+44 20 7946 0123 Ext. 12": "442079460123",
        "020 7946 0123": "2079460123",
        "(020) 7946-0123": "2079460123",
        "12345": None,
        "00012345": None,
        "": None,
        "phone": None,
    },
    "customer_id": {"ab 123 c": "AB123C", "AB123C": "AB123C", " ": None, "c-0001": "C-0001"},
    "online_id": {" cookie-1 ": "cookie-1", "Cookie-1": "Cookie-1", "": None},
}


@pytest.mark.parametrize("kind", list(MATCH_CASES))
def test_match_key_sql_equals_python(kind: str) -> None:
    cases = MATCH_CASES[kind]
    texts = [*cases, None, "漢字 😀", " +1 (555) 010-9999 ", "X+Y@Z"]
    assert [match_key(kind, t) for t in cases] == list(cases.values())
    con = duckdb.connect()
    assert sql_values(con, lambda col: match_key_sql(kind, col), texts) == [match_key(kind, t) for t in texts]


def test_match_key_rejects_an_unknown_kind() -> None:
    with pytest.raises(ValueError, match="unknown suppression kind"):
        match_key_sql("name", "x")


def test_add_entries_counts_new_ones_and_refuses_another_key() -> None:
    con = duckdb.connect()
    key = KEYS[1]
    assert add_entries(con, key, "email", ["Anna+x@Example.com", "anna@example.com", " "], "e1") == 1
    assert add_entries(con, key, "email", ["ANNA@example.com", "bob@example.com"], "e2") == 1
    assert add_entries(con, key, "phone", ["+44 20 7946 0123", "0044 20 7946 0123"], "e2") == 1
    rows = con.execute(
        "SELECT kind, pseudonym, key_id, erasure_id FROM audit.suppression ORDER BY 4, 1"
    ).fetchall()
    assert rows == [
        ("email", pseudonym(key, "anna@example.com"), key_id(key), "e1"),
        ("email", pseudonym(key, "bob@example.com"), key_id(key), "e2"),
        ("phone", pseudonym(key, "442079460123"), key_id(key), "e2"),
    ]
    with pytest.raises(SuppressionKeyError, match="key changed"):
        add_entries(con, KEYS[0], "email", ["carol@example.com"], "e3")


def test_privacy_tables_are_idempotent() -> None:
    con = duckdb.connect()
    con.execute(PRIVACY_DDL)
    con.execute(PRIVACY_DDL)
    cols = con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = 'audit' ORDER BY ALL"
    ).fetchall()
    assert ("erasure_log", "removed") in cols and ("suppression", "key_id") in cols


def test_ensure_schema_adds_the_privacy_tables_to_an_existing_warehouse(tmp_path: Path) -> None:
    from sources.feeds import FEEDS
    from sources.ingest.schema import AUDIT_DDL, ensure_schema

    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute(AUDIT_DDL)  # a warehouse from before the suppression list
    with duckdb.connect(str(path)) as con:
        ensure_schema(con, [FEEDS["pos"]])
        ensure_schema(con, [FEEDS["pos"]])
        tables = con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'audit'").fetchall()
    assert {("suppression",), ("erasure_log",)} <= set(tables)


def test_error_messages_lose_the_query_quote_and_long_hex() -> None:
    from sources.privacy.pseudonym import without_query

    con = duckdb.connect()
    with pytest.raises(duckdb.Error) as caught:
        con.execute(f"SELECT no_such_column OR {pseudonym_sql('x', KEYS[1])} FROM (SELECT 'a' AS x)")
    assert "unhex" in str(caught.value)  # DuckDB quotes the query, key material included
    cleaned = without_query(str(caught.value))
    assert "no_such_column" in cleaned and "unhex" not in cleaned
    assert without_query("id " + "ab" * 20 + " done") == "id <redacted> done"
