"""The guarded trims of sources/lib/sqltext.py give what DuckDB's trim functions give."""

from __future__ import annotations

import duckdb
import pytest

from sources.lib.sqltext import (
    ident,
    lit,
    not_blank_sql,
    strip_cr_sql,
    to_utc_sql,
    trim_sql,
    trim_to_null_sql,
)

# Every Unicode space separator (category Zs) DuckDB's trim removes, found by trying U+0001 to
# U+30FF; the tab and the newline are not among them.
ZS = [" ", "\u00a0", "\u1680", *(chr(c) for c in range(0x2000, 0x200B)), "\u202f", "\u205f", "\u3000"]

VALUES = [
    None,
    "",
    " ",
    "   ",
    "abc",
    " abc",
    "abc ",
    "  a b  ",
    "\tabc\t",
    "abc\n",
    "Zoë",
    " Zoë ",
    "é",
    *(f"{z}x{z}" for z in ZS),
    *(f"{z}" for z in ZS),
    "\u00a0 \u3000",
    "x\u00a0",
    "\u00a0x",
    "a\u00a0b",
    "line\r",
    "line\r\r",
    "\rline",
    "crlf\r\n",
]


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE TABLE v (i INTEGER, x VARCHAR)")
    con.executemany("INSERT INTO v VALUES (?, ?)", list(enumerate(VALUES)))
    return con


def _differences(con: duckdb.DuckDBPyConnection, ours: str, theirs: str) -> list[tuple]:
    return con.execute(
        f"SELECT i, x, {ours} AS ours, {theirs} AS theirs FROM v WHERE ({ours}) IS DISTINCT FROM ({theirs})"
    ).fetchall()


def test_trim_sql_equals_trim_on_every_value(con: duckdb.DuckDBPyConnection) -> None:
    assert _differences(con, trim_sql("x"), "trim(x)") == []
    assert _differences(con, trim_to_null_sql("x"), "nullif(trim(x), '')") == []
    # the guard is what makes it cheap: a clean ASCII value skips trim() altogether
    assert con.execute(f"SELECT {trim_sql('x')} FROM v WHERE x = 'abc'").fetchone() == ("abc",)


def test_the_test_values_exercise_every_guard(con: duckdb.DuckDBPyConnection) -> None:
    """Values padded with ASCII spaces, with non-ASCII separators only, and clean ones."""
    kinds = con.execute(
        """
        SELECT count(*) FILTER (WHERE x <> trim(x) AND (prefix(x, ' ') OR suffix(x, ' '))),
               count(*) FILTER (WHERE x <> trim(x) AND NOT prefix(x, ' ') AND NOT suffix(x, ' ')),
               count(*) FILTER (WHERE x = trim(x))
        FROM v
        """
    ).fetchone()
    assert all(k > 0 for k in kinds), kinds


def test_strip_cr_sql_equals_rtrim_cr(con: duckdb.DuckDBPyConnection) -> None:
    assert _differences(con, strip_cr_sql("x"), "rtrim(x, chr(13))") == []


def test_not_blank_sql_equals_trim_not_empty(con: duckdb.DuckDBPyConnection) -> None:
    assert _differences(con, not_blank_sql("x"), "trim(x) <> ''") == []


def test_quoting() -> None:
    sql = "SELECT " + lit("it's") + " AS " + ident('a "b"')
    result = duckdb.connect().execute(sql)
    assert result.description[0][0] == 'a "b"'
    assert result.fetchone() == ("it's",)


@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata", "America/St_Johns"])
def test_to_utc_sql_equals_at_time_zone_utc(zone: str) -> None:
    """Whatever the session zone: offsets, DST days, before 1970, year 44 and the infinities."""
    con = duckdb.connect()
    con.execute(f"SET TimeZone = '{zone}'")
    con.execute("CREATE TABLE t (x TIMESTAMPTZ)")
    con.executemany(
        "INSERT INTO t VALUES (?::TIMESTAMPTZ)",
        [
            [v]
            for v in (
                "2026-03-01 10:00:00+01:00",
                "2026-03-29 01:30:00+00",
                "2026-10-25 01:30:00.123456+00",
                "1969-12-31 23:59:59.999999+00",
                "0044-03-15 12:00:00+00",
                "infinity",
                "-infinity",
                None,
            )
        ],
    )
    theirs = "x AT TIME ZONE 'UTC'"
    assert con.execute(
        f"SELECT count(*) FROM t WHERE {to_utc_sql('x')} IS DISTINCT FROM {theirs}"
    ).fetchone() == (0,)
    assert con.execute(f"SELECT count(*), count(DISTINCT {to_utc_sql('x')}) FROM t").fetchone() == (8, 7)
