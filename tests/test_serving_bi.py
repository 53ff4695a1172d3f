"""BI access to the serving copy (docs/querying.md): reflection, comments, scope, Parquet, the swap."""

from __future__ import annotations

import gc
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd
import polars as pl
import pyarrow.parquet as pq
import pytest
from sqlalchemy import Engine, MetaData, Table, create_engine, exc, func, inspect, select

from pipelines.config import REPO_ROOT, Settings
from pipelines.defs.dbt_project import MANIFEST_PATH
from pipelines.serving import publish as publish_module
from pipelines.serving.docs import SERVED_SCHEMAS, TableDoc, load_table_docs
from pipelines.serving.publish import PARQUET_LINK, PUBLICATION_TABLE, SERVING_FILE, publish, served_columns

integration = pytest.mark.integration  # the tests on `served` run the whole pipeline once
NOT_SERVED = ("raw", "staging", "intermediate", "audit", "restricted")  # restricted: only with contacts


@dataclass(frozen=True)
class Native:
    """What DuckDB itself says about the serving file: the reference the other readers are held to."""

    database: str  # the catalog name, "crm360"
    columns: dict[tuple[str, str], dict[str, str | None]]  # (schema, table) -> {column: comment}, in order
    table_comments: dict[tuple[str, str], str | None]
    counts: dict[tuple[str, str], int]
    publication: tuple

    @property
    def served(self) -> list[tuple[str, str]]:
        return [k for k in self.columns if k[0] != "main"]


def _serving_file(settings: Settings) -> Path:
    return settings.serving_dir / SERVING_FILE


def _count(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> int:
    return con.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone()[0]


@pytest.fixture(scope="module")
def native(served: Settings) -> Native:
    """Read once, before any SQLAlchemy engine: one process cannot hold duckdb-engine's connections (their
    config adds a user agent) and plain duckdb.connect ones to the same file at the same time."""
    with duckdb.connect(str(_serving_file(served)), read_only=True) as con:
        rows = con.execute(
            "SELECT schema_name, table_name, column_name, comment FROM duckdb_columns() "
            "WHERE database_name = current_database() ORDER BY schema_name, table_name, column_index"
        ).fetchall()
        columns: dict[tuple[str, str], dict[str, str | None]] = {}
        for schema, table, column, comment in rows:
            columns.setdefault((schema, table), {})[column] = comment
        comments = con.execute(
            "SELECT schema_name, table_name, comment FROM duckdb_tables() "
            "WHERE database_name = current_database()"
        ).fetchall()
        return Native(
            database=con.execute("SELECT current_database()").fetchone()[0],
            columns=columns,
            table_comments={(s, t): c for s, t, c in comments},
            counts={(s, t): _count(con, s, t) for s, t in columns},
            publication=con.execute(f"SELECT * FROM main.{PUBLICATION_TABLE}").fetchall(),
        )


@pytest.fixture(scope="module")
def docs(served: Settings) -> dict[tuple[str, str], TableDoc]:
    return load_table_docs(MANIFEST_PATH)  # the one source of the descriptions, as the publish step reads it


@pytest.fixture(scope="module")
def engine(served: Settings, native: Native) -> Iterator[Engine]:
    engine = create_engine(f"duckdb:///{_serving_file(served)}?access_mode=read_only")
    yield engine
    engine.dispose()


@integration
def test_sqlalchemy_reflects_every_served_table(native: Native, engine: Engine) -> None:
    insp = inspect(engine)
    reflected: dict[tuple[str, str], dict[str, str | None]] = {}
    with warnings.catch_warnings():  # list columns come back as NullType, with a warning each
        warnings.filterwarnings("ignore", "Did not recognize type", exc.SAWarning)
        for schema in insp.get_schema_names():  # "crm360.core", ..., and DuckDB's system and temp schemas
            for table in insp.get_table_names(schema=schema):
                columns = insp.get_columns(table, schema=schema)
                reflected[(schema, table)] = {c["name"]: c.get("comment") for c in columns}
    expected = {(f"{native.database}.{s}", t): cols for (s, t), cols in native.columns.items()}
    assert reflected == expected  # names, order and comments of every column of every table
    assert {s for s, _ in native.columns} == {*SERVED_SCHEMAS, "main"}


@integration
def test_table_autoload_and_count(native: Native, engine: Engine, docs) -> None:
    customers = Table("customer_360", MetaData(), schema="marts", autoload_with=engine)
    with engine.connect() as con:
        rows = con.execute(select(func.count()).select_from(customers)).scalar_one()
    assert rows == native.counts[("marts", "customer_360")] > 0
    assert customers.comment == docs[("marts", "customer_360")].description
    marts = MetaData()
    marts.reflect(engine, schema="marts")
    assert {t.name for t in marts.tables.values()} == {t for s, t in native.served if s == "marts"}


@integration
def test_read_only_urls(served: Settings, engine: Engine) -> None:
    with engine.connect() as con, pytest.raises(exc.DBAPIError, match="read-only"):
        con.exec_driver_sql("CREATE TABLE main.scratch (i INTEGER)")
    engine.dispose()  # its pooled connection has another configuration than the next engine's
    by_args = create_engine(f"duckdb:///{_serving_file(served)}", connect_args={"read_only": True})
    with by_args.connect() as con:
        assert con.exec_driver_sql("SELECT count(*) FROM main.publication").scalar_one() == 1
    by_args.dispose()
    rejected = create_engine(f"duckdb:///{_serving_file(served)}?read_only=true")
    with pytest.raises(exc.DBAPIError, match="read_only"):
        rejected.connect()
    rejected.dispose()
    gc.collect()  # the failed connect's traceback holds a half-open database until collected


@integration
def test_only_documented_core_and_marts_tables(served: Settings, native: Native, docs) -> None:
    assert not [k for k in native.columns if k[0] in NOT_SERVED]
    assert [t for s, t in native.columns if s == "main"] == [PUBLICATION_TABLE]
    with duckdb.connect(str(served.warehouse_path), read_only=True) as con:
        working = set(con.execute("SELECT schema_name, table_name FROM duckdb_tables()").fetchall())
    assert {k for k in working if k[0] in NOT_SERVED}  # they exist in the working file...
    documented = {k for k in working if k[0] in SERVED_SCHEMAS and k in docs}
    assert set(native.served) == documented  # ...and only the documented core and marts tables are served
    assert ("core", "identity_keys") in working - documented  # identity's working tables stay behind


@integration
def test_every_description_is_a_comment(native: Native, docs) -> None:
    for key in native.served:
        doc = docs[key]
        assert doc.description and native.table_comments[key] == doc.description, key
        served = served_columns(key[0], doc, list(doc.columns))
        for column, text in doc.columns.items():
            if column not in served:  # personal: left out of the copy (tests/test_serving_privacy.py)
                assert column not in native.columns[key], (key, column)
                continue
            assert column in native.columns[key], f"{key}: dbt documents {column}, the table lacks it"
            assert native.columns[key][column] == text, (key, column)


@integration
def test_publication_row(native: Native) -> None:
    [(run_id, published_at, tables, rows, contacts)] = native.publication
    assert run_id and published_at and tables == len(native.served) and contacts is False
    assert rows == sum(native.counts[k] for k in native.served)


@integration
def test_parquet_reads_back(served: Settings, native: Native) -> None:
    root = served.serving_dir / PARQUET_LINK
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*.parquet")) == sorted(
        f"{s}/{t}.parquet" for s, t in native.served
    )
    with duckdb.connect() as con:
        for s, t in native.served:
            parquet = con.execute("SELECT count(*) FROM read_parquet(?)", [str(root / s / f"{t}.parquet")])
            assert parquet.fetchone()[0] == native.counts[(s, t)], (s, t)
    path = root / "marts" / "customer_360.parquet"
    customers = native.counts[("marts", "customer_360")]
    assert len(pd.read_parquet(path)) == customers
    assert pl.read_parquet(path).height == pq.read_table(path).num_rows == customers


@integration
def test_the_queries_in_the_docs_run(engine: Engine) -> None:
    blocks = re.findall(r"```sql\n(.*?)```", (REPO_ROOT / "docs" / "querying.md").read_text(), re.S)
    statements = [s.strip() for block in blocks for s in block.split(";") if s.strip()]
    assert len(statements) >= 6
    with engine.connect() as con:
        for statement in statements:
            con.exec_driver_sql(statement).fetchall()


def _work(tmp_path: Path) -> tuple[duckdb.DuckDBPyConnection, dict[tuple[str, str], TableDoc]]:
    work = duckdb.connect(str(tmp_path / "work.duckdb"))
    work.execute("CREATE SCHEMA core; CREATE TABLE core.t AS SELECT 1 AS v")
    return work, {("core", "t"): TableDoc("A table.", {"v": "A value."})}


def _state(path: Path) -> tuple[str, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("SELECT run_id, (SELECT count(*) FROM core.t) FROM main.publication").fetchone()


def test_a_reader_keeps_the_old_copy_until_it_reconnects(tmp_path: Path) -> None:
    work, docs = _work(tmp_path)
    publish(work, tmp_path / "serving", docs, run_id="first")
    reader = duckdb.connect(str(tmp_path / "serving" / SERVING_FILE), read_only=True)
    work.execute("INSERT INTO core.t VALUES (2)")
    publish(work, tmp_path / "serving", docs, run_id="second")  # the open reader does not block it
    work.close()
    seen = reader.execute("SELECT run_id, (SELECT count(*) FROM core.t) FROM main.publication").fetchone()
    assert seen == ("first", 1)
    reader.close()
    assert _state(tmp_path / "serving" / SERVING_FILE) == ("second", 2)


def test_a_failed_publish_leaves_the_last_good_copy(tmp_path: Path, monkeypatch) -> None:
    work, docs = _work(tmp_path)
    serving = tmp_path / "serving"
    publish(work, serving, docs, run_id="first")
    work.execute("INSERT INTO core.t VALUES (2)")

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(publish_module, "_export_parquet", fail)
    with pytest.raises(OSError, match="disk full"):
        publish(work, serving, docs, run_id="failed", parquet=True)
    assert _state(serving / SERVING_FILE) == ("first", 1)
    assert list(serving.glob(f".{SERVING_FILE}.*"))  # the half-built file...
    monkeypatch.undo()
    publish(work, serving, docs, run_id="third")
    work.close()
    assert not list(serving.glob(f".{SERVING_FILE}.*"))  # ...is gone after the next publish
    assert _state(serving / SERVING_FILE) == ("third", 2)
