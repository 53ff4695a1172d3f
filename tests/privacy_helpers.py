"""Helpers for the privacy tests: where a person's values still are in a DuckDB file, and who to erase."""

from __future__ import annotations

from pathlib import Path

import duckdb

from sources.lib.duck import list_tables, table_columns

TEXT_TYPES = ("VARCHAR", "JSON", "BLOB", "VARCHAR[]")
ALL_SCHEMAS = ["raw", "staging", "intermediate", "core", "marts", "restricted", "audit", "main"]


def holding(path: Path, needles: list[str]) -> list[str]:
    """'schema.table.column' of every text value in the file at `path` that contains one of `needles`
    (case-insensitive)."""
    found = []
    con = duckdb.connect(str(path), read_only=True)
    try:
        for schema, table in list_tables(con, ALL_SCHEMAS):
            for column, typ, _ in table_columns(con, schema, table):
                if typ not in TEXT_TYPES:
                    continue
                text = f'lower(CAST("{column}" AS VARCHAR))'
                cond = " OR ".join(f"contains({text}, ?)" for _ in needles)
                n = con.execute(
                    f'SELECT count(*) FROM {schema}."{table}" WHERE {cond}', [n.lower() for n in needles]
                ).fetchone()[0]
                if n:
                    found.append(f"{schema}.{table}.{column}")
    finally:
        con.close()
    return found


def person_in_several_feeds(path: Path) -> tuple[str, str, list[str], list[str]]:
    """(customer_key, an e-mail, the person's e-mails, phones) of a customer whose e-mail identity saw in
    at least two feeds and who bought something: the hardest kind of person to forget."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        key, email = con.execute(
            """
            SELECT m.customer_key, min(r.email_canonical)
            FROM core.identity_records r
            JOIN core.customer_identity_map m USING (source_system, source_record_id)
            WHERE r.email_canonical IS NOT NULL
              AND m.customer_key IN (SELECT customer_key FROM core.fct_order_lines)
            GROUP BY 1 HAVING count(DISTINCT r.source_system) >= 2 AND count(DISTINCT r.email_canonical) = 1
            ORDER BY count(*) DESC, 1 LIMIT 1
            """
        ).fetchone()
        emails = [
            e
            for (e,) in con.execute(
                "SELECT DISTINCT email FROM core.dim_customer WHERE customer_key = ? AND email IS NOT NULL",
                [key],
            ).fetchall()
        ]
        phones = [
            p
            for (p,) in con.execute(
                "SELECT DISTINCT phone FROM core.dim_customer WHERE customer_key = ? AND phone IS NOT NULL",
                [key],
            ).fetchall()
        ]
    finally:
        con.close()
    return key, email, sorted({email, *emails}), phones
