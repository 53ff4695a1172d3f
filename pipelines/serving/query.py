"""Read-only queries on the serving copy, for `crm360 sql`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple]
    truncated: bool  # more rows than the limit


def query_serving(path: Path, sql: str, limit: int = 50) -> QueryResult:
    """Run `sql` on the serving copy opened read-only (a write is refused by DuckDB) and return at most
    `limit` rows; the connection is closed before returning, so the next publish's file is seen next time."""
    if not path.exists():
        raise FileNotFoundError(f"no serving copy at {path}: a run publishes it when it builds everything")
    con = duckdb.connect(str(path), read_only=True)
    try:
        result = con.execute(sql)
        columns = [d[0] for d in result.description or []]
        rows = result.fetchmany(limit + 1) if columns else []
    finally:
        con.close()
    return QueryResult(columns, rows[:limit], len(rows) > limit)
