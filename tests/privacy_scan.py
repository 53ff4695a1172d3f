"""Helpers of the serving privacy tests: the landing's contact values, and where a DuckDB file holds them."""

from __future__ import annotations

from pathlib import Path

import duckdb

SERVED_ALIAS = "srv"
# Landing phones compared by their last 9 digits: the subscriber number, whatever prefix or format
# (national 0..., +44, 0044) a feed or staging's E.164 gives them.
PHONE_DIGITS = 9


def _q(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def load_landing_contacts(con: duckdb.DuckDBPyConnection, landing: Path) -> None:
    """Tables `emails(email)`, `phones(phone, digits)`, `names(name)` and `name_pairs(fn, ln)` of the
    contact fields of every CSV and JSON-lines file under `landing` (lower-cased, trimmed)."""
    fields = "first_name, last_name, email, phone"
    extract = ", ".join(f"trim(json_extract_string(j, '$.{c}')) AS {c}" for c in fields.split(", "))
    csvs = sorted(str(p) for p in landing.rglob("*.csv"))
    jsons = sorted(str(p) for p in landing.rglob("*.jsonl*"))
    con.execute(f"CREATE TEMP TABLE contacts ({fields.replace(',', ' VARCHAR,')} VARCHAR)")
    for path in csvs:  # one file at a time: the feeds' headers differ
        con.execute(
            f"INSERT INTO contacts SELECT {extract} FROM (SELECT to_json(t) AS j FROM read_csv({_q(path)}, "
            "all_varchar = true, ignore_errors = true, strict_mode = false) AS t)"
        )
    if jsons:
        con.execute(
            f"INSERT INTO contacts SELECT {extract} FROM (SELECT json AS j FROM "
            f"read_ndjson_objects({[*jsons]}, ignore_errors = true))"
        )
    # as delivered, and without a +alias (staging's canonical form)
    con.execute(
        "CREATE TEMP TABLE emails AS SELECT DISTINCT unnest([lower(email), "
        "regexp_replace(lower(email), '[+][^@]*@', '@')]) AS email FROM contacts WHERE email LIKE '%_@_%'"
    )
    con.execute(
        "CREATE TEMP TABLE phones AS SELECT DISTINCT phone, "
        f"right(regexp_replace(phone, '[^0-9]', '', 'g'), {PHONE_DIGITS}) AS digits FROM contacts "
        f"WHERE length(regexp_replace(phone, '[^0-9]', '', 'g')) >= {PHONE_DIGITS}"
    )
    con.execute(
        "CREATE TEMP TABLE names AS SELECT DISTINCT lower(n) AS name FROM "
        "(SELECT unnest([first_name, last_name]) AS n FROM contacts) WHERE n <> ''"
    )
    con.execute(
        "CREATE TEMP TABLE name_pairs AS SELECT DISTINCT lower(first_name) AS fn, lower(last_name) AS ln "
        "FROM contacts WHERE first_name <> '' AND last_name <> ''"
    )


def load_served_values(con: duckdb.DuckDBPyConnection, served: Path) -> None:
    """Attach `served` and build `served_values(tbl, col, r, v)`: every non-null value of every column of
    every table outside `main`, as lower-cased text (lists and structs as DuckDB prints them), r its row."""
    con.execute(f"ATTACH {_q(str(served))} AS {SERVED_ALIAS} (READ_ONLY)")
    con.execute("CREATE TEMP TABLE served_values (tbl VARCHAR, col VARCHAR, r BIGINT, v VARCHAR)")
    columns = con.execute(
        "SELECT schema_name, table_name, list(column_name ORDER BY column_index) FROM duckdb_columns() "
        "WHERE database_name = ? AND schema_name <> 'main' GROUP BY ALL ORDER BY ALL",
        [SERVED_ALIAS],
    ).fetchall()
    for schema, table, names in columns:
        source = f'{SERVED_ALIAS}."{schema}"."{table}"'
        for name in names:
            con.execute(
                f"INSERT INTO served_values SELECT '{schema}.{table}', {_q(name)}, rowid, "
                f'lower(CAST("{name}" AS VARCHAR)) FROM {source} WHERE "{name}" IS NOT NULL'
            )


def emails_found(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """(table, column, value) of the served values that contain a landing e-mail."""
    return con.execute(
        "SELECT DISTINCT tbl, col, v FROM served_values JOIN emails ON contains(v, email) "
        "ORDER BY ALL LIMIT 20"
    ).fetchall()


def phones_found(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """(table, column, value) of the served values that contain a landing phone as written, or that are
    phone-shaped (digits and + ( ) - . space only) and hold a landing phone's last digits."""
    return con.execute(
        "SELECT DISTINCT tbl, col, v FROM served_values JOIN phones ON contains(v, lower(phone)) "
        "OR (regexp_full_match(v, '[+0-9 ().-]{7,}') "
        "AND contains(regexp_replace(v, '[^0-9]', '', 'g'), digits)) "
        "ORDER BY ALL LIMIT 20"
    ).fetchall()


def name_pairs_found(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """(table, first name, last name): rows holding one landing record's first and last name, each as a
    whole value. A lone name proves little (core.dim_date has 'may', products and regions have words)."""
    return con.execute(
        "WITH hits AS (SELECT tbl, r, v FROM served_values SEMI JOIN names ON v = name) "
        "SELECT DISTINCT a.tbl, a.v, b.v FROM hits AS a JOIN name_pairs AS p ON a.v = p.fn "
        "JOIN hits AS b ON b.tbl = a.tbl AND b.r = a.r AND b.v = p.ln ORDER BY ALL LIMIT 20"
    ).fetchall()


def name_columns_found(con: duckdb.DuckDBPyConnection, share: float = 0.5, least: int = 5) -> list[tuple]:
    """(table, column, names, distinct values): columns whose distinct values are mostly landing names
    (at least `least` of them): a column of names even where rows never pair a first with a last name."""
    return con.execute(
        "SELECT tbl, col, count(*) FILTER (WHERE name IS NOT NULL) AS hits, count(*) AS n FROM "
        "(SELECT DISTINCT tbl, col, v FROM served_values) LEFT JOIN names ON v = name GROUP BY ALL "
        "HAVING hits >= ? AND hits >= ? * n ORDER BY ALL",
        [least, share],
    ).fetchall()


def emails_in_bytes(path: Path, emails: list[str]) -> list[str]:
    """The e-mails whose bytes occur in the file as written (any case is not searched: DuckDB stores
    strings as given; the copy is checkpointed, so no WAL beside it)."""
    data = path.read_bytes().lower()
    return [e for e in emails if e.encode() in data]
