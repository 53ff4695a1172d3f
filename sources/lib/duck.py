"""DuckDB connections and catalogue lookups shared by ingestion, quality, identity and the Dagster layer."""

from __future__ import annotations

from pathlib import Path

import duckdb

# DuckDB memory_limit of the pipeline's connections unless CRM360_DUCKDB_MEMORY_LIMIT says otherwise.
MEMORY_LIMIT = "4GB"


def open_warehouse(
    path: Path, memory_limit: str = MEMORY_LIMIT, threads: int | None = None
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse read-write with the settings every writer shares."""
    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute(f"SET memory_limit = '{memory_limit}'")
    con.execute("SET TimeZone = 'UTC'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


def table_exists(
    con: duckdb.DuckDBPyConnection, schema: str, table: str, database: str | None = None
) -> bool:
    """Whether schema.table exists (a table or a view) in `database`, by default the connection's
    current one (information_schema lists every attached database). The one catalogue lookup of
    the project: use it rather than querying information_schema or duckdb_tables()."""
    row = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_catalog = coalesce(?, current_database()) AND table_schema = ? AND table_name = ?",
        [database, schema, table],
    ).fetchone()
    return bool(row and row[0])


def list_tables(con: duckdb.DuckDBPyConnection, schemas: list[str]) -> list[tuple[str, str]]:
    """(schema, table) of every table and view in `schemas` of the connection's current database,
    sorted; temporary tables and other attached databases are left out, as in table_exists."""
    return [
        (s, t)
        for s, t in con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_catalog = current_database() AND table_schema IN (SELECT unnest(?::VARCHAR[])) "
            "AND table_type <> 'LOCAL TEMPORARY' ORDER BY 1, 2",
            [schemas],
        ).fetchall()
    ]


def table_columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[tuple[str, str, bool]]:
    """(column, data type, nullable) of schema.table in the connection's current database, in order."""
    return [
        (name, typ, nullable == "YES")
        for name, typ, nullable in con.execute(
            "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
            "WHERE table_catalog = current_database() AND table_schema = ? AND table_name = ? "
            "ORDER BY ordinal_position",
            [schema, table],
        ).fetchall()
    ]
