"""sources.lib.duck.table_exists: the one "does this table exist" lookup of the project."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from sources.lib.duck import list_tables, table_exists

ROOT = Path(__file__).resolve().parent.parent
# Files that may query the catalogue themselves: the helper, and a listing of every relation (not an
# existence check).
CATALOGUE_QUERIES_ALLOWED = {"sources/lib/duck.py", "pipelines/bench/references.py"}


def test_finds_tables_and_views_of_the_current_database_only() -> None:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA audit; CREATE TABLE audit.t (a INT); CREATE VIEW audit.v AS SELECT 1 AS a")
    con.execute("ATTACH ':memory:' AS other; CREATE SCHEMA other.core; CREATE TABLE other.core.m (a INT)")
    con.execute("CREATE TEMP TABLE scratch (a INT)")
    assert table_exists(con, "audit", "t") and table_exists(con, "audit", "v")
    assert not table_exists(con, "audit", "missing")
    assert not table_exists(con, "core", "m")  # in another attached database
    assert table_exists(con, "core", "m", database="other")
    assert not table_exists(con, "main", "scratch")  # temporary, not the warehouse's


def test_lists_the_tables_of_schemas_in_the_current_database_only() -> None:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA core; CREATE SCHEMA marts; CREATE SCHEMA raw")
    con.execute("CREATE TABLE marts.b (a INT); CREATE TABLE core.a (a INT); CREATE TABLE raw.c (a INT)")
    con.execute("ATTACH ':memory:' AS other; CREATE SCHEMA other.core; CREATE TABLE other.core.m (a INT)")
    con.execute("CREATE TEMP TABLE scratch (a INT)")
    assert list_tables(con, ["marts", "core"]) == [("core", "a"), ("marts", "b")]
    assert list_tables(con, ["nothing"]) == []


def test_no_module_writes_its_own_existence_query() -> None:
    pattern = re.compile(r"information_schema\.tables|duckdb_tables\(\)", re.I)
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("sources", "quality", "pipelines")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if pattern.search(path.read_text(encoding="utf-8"))
        and str(path.relative_to(ROOT)) not in CATALOGUE_QUERIES_ALLOWED
    ]
    assert offenders == [], f"use sources.lib.duck.table_exists in {offenders}"
