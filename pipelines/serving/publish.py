"""Publish the warehouse's documented core and marts tables as `<serving dir>/crm360.duckdb`: built as a
new file, checkpointed, closed and renamed over the served one, so a reader sees the old or the new
state and never a mix. Columns dbt tags personal are left out; the `restricted` schema's contact
tables are published, whole, only when asked for (docs/querying.md)."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines.serving.docs import CONTACT_SCHEMA, SERVED_SCHEMAS, TableDoc
from sources.contracts import PERSONAL_COLUMN_NAMES
from sources.lib.duck import list_tables
from sources.lib.fsync import fsync

SERVING_FILE = "crm360.duckdb"
PARQUET_LINK = "parquet"  # a symlink to the newest export's folder, swapped like the file
PUBLICATION_TABLE = "publication"  # main.publication: one row saying which run the copy is of
_ALIAS = "crm360_serving"
_TMP_PREFIX = f".{SERVING_FILE}."


@dataclass(frozen=True)
class Publication:
    path: Path
    tables: list[str]  # "schema.table"
    rows: int
    comments: int  # table and column comments written
    size_bytes: int
    seconds: float
    parquet_dir: Path | None = None
    contacts: bool = False  # the `restricted` schema's tables were published, personal columns included
    withheld: int = 0  # columns left out: tagged personal or undeclared


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def served_tables(
    con: duckdb.DuckDBPyConnection,
    docs: dict[tuple[str, str], TableDoc],
    schemas: Iterable[str] = SERVED_SCHEMAS,
) -> list[tuple[str, str]]:
    """The tables of `schemas` in the connection's database that dbt documents; the rest (the identity
    step's working tables, anything undeclared) are not served."""
    return [(s, t) for s, t in list_tables(con, list(schemas)) if (s, t) in docs]


def served_schemas(contacts: bool) -> tuple[str, ...]:
    """The schemas a publish copies: core and marts, and the contact schema when `contacts`."""
    return (*SERVED_SCHEMAS, CONTACT_SCHEMA) if contacts else SERVED_SCHEMAS


def served_columns(schema: str, doc: TableDoc, columns: list[str], contacts: bool = False) -> list[str]:
    """The columns of a table that are served, in table order: those the manifest declares (all when it
    lists none) but does not tag personal; the contact schema's whole tables when contacts are published
    (a campaign sender needs its names and addresses). Undeclared columns stay out: an incremental model
    keeps a column its SQL no longer selects (on_schema_change append_new_columns), untagged. So do the
    known personal column names (an `email` whose YAML lacks the tag)."""
    if contacts and schema == CONTACT_SCHEMA:
        return list(columns)
    withheld = doc.personal.keys() | PERSONAL_COLUMN_NAMES.keys()
    return [c for c in columns if (c in doc.declared or not doc.declared) and c not in withheld]


def remove_leftovers(serving_dir: Path) -> list[Path]:
    """Delete what a killed publish left behind: its half-built file and WAL, its Parquet folder."""
    gone = []
    for path in serving_dir.glob(f"{_TMP_PREFIX}*"):
        path.unlink(missing_ok=True)
        gone.append(path)
    link = serving_dir / PARQUET_LINK
    current = link.resolve().name if link.is_symlink() else None
    for path in serving_dir.glob(f"{PARQUET_LINK}-*"):
        if path.name != current:
            shutil.rmtree(path, ignore_errors=True)
            gone.append(path)
    return gone


def _copy_tables(
    con: duckdb.DuckDBPyConnection,
    tables: list[tuple[str, str]],
    docs: dict[tuple[str, str], TableDoc],
    contacts: bool,
) -> tuple[int, int, int]:
    """Copy each table's served columns into the attached serving file with their comments; returns
    (rows, comments, columns withheld)."""
    rows = comments = withheld = 0
    for schema in sorted({s for s, _ in tables}):
        con.execute(f"CREATE SCHEMA {_ALIAS}.{_ident(schema)}")
    for schema, table in tables:
        source, target = f"{_ident(schema)}.{_ident(table)}", f"{_ALIAS}.{_ident(schema)}.{_ident(table)}"
        doc = docs[(schema, table)]
        present = [d[0] for d in con.execute(f"SELECT * FROM {source} LIMIT 0").description]
        columns = served_columns(schema, doc, present, contacts)
        withheld += len(present) - len(columns)
        # DuckDB answers CREATE TABLE AS with the rows it wrote: no second scan to count them
        select = ", ".join(_ident(c) for c in columns)
        rows += con.execute(f"CREATE TABLE {target} AS SELECT {select} FROM {source}").fetchone()[0]
        if doc.description:
            con.execute(f"COMMENT ON TABLE {target} IS {_literal(doc.description)}")
            comments += 1
        for column, text in doc.columns.items():
            if column in columns:
                con.execute(f"COMMENT ON COLUMN {target}.{_ident(column)} IS {_literal(text)}")
                comments += 1
    return rows, comments, withheld


def _export_parquet(
    con: duckdb.DuckDBPyConnection, tables: list[tuple[str, str]], serving_dir: Path, run_id: str
) -> Path:
    """Write every served table as Parquet into a new folder, then point the `parquet` link at it."""
    folder = serving_dir / f"{PARQUET_LINK}-{run_id or int(time.time())}"
    for schema, table in tables:
        (folder / schema).mkdir(parents=True, exist_ok=True)
        target = folder / schema / f"{table}.parquet"
        con.execute(
            f"COPY (SELECT * FROM {_ALIAS}.{_ident(schema)}.{_ident(table)}) TO {_literal(str(target))} "
            "(FORMAT parquet)"
        )
    link = serving_dir / PARQUET_LINK
    new_link = serving_dir / f"{_TMP_PREFIX}link"
    new_link.unlink(missing_ok=True)
    new_link.symlink_to(folder.name)
    os.replace(new_link, link)
    return link


def publish(
    con: duckdb.DuckDBPyConnection,
    serving_dir: Path,
    docs: dict[tuple[str, str], TableDoc],
    run_id: str = "",
    parquet: bool = False,
    contacts: bool = False,
) -> Publication:
    """Copy the documented tables of the connection's core and marts, without the columns dbt tags
    personal, into a new DuckDB file with their dbt descriptions as comments, checkpoint and close it,
    and rename it over `<serving_dir>/crm360.duckdb`.

    Until the rename nothing a reader can open changes; a kill before it leaves the last good copy (and a
    leftover the next publish removes). `parquet`: also export the tables to `<serving_dir>/parquet/`.
    `contacts`: also publish the `restricted` schema's tables, personal columns included."""
    started = time.perf_counter()
    serving_dir.mkdir(parents=True, exist_ok=True)
    remove_leftovers(serving_dir)
    tables = served_tables(con, docs, served_schemas(contacts))
    tmp = serving_dir / f"{_TMP_PREFIX}{os.getpid()}.tmp"
    con.execute(f"ATTACH {_literal(str(tmp))} AS {_ALIAS}")
    try:
        rows, comments, withheld = _copy_tables(con, tables, docs, contacts)
        con.execute(
            f"CREATE TABLE {_ALIAS}.main.{PUBLICATION_TABLE} AS SELECT ? AS run_id, ?::TIMESTAMPTZ AS "
            "published_at, ? AS tables, ? AS rows, ? AS contacts",
            [run_id, datetime.now(UTC), len(tables), rows, contacts],
        )
        parquet_dir = _export_parquet(con, tables, serving_dir, run_id) if parquet else None
        con.execute(f"CHECKPOINT {_ALIAS}")
    finally:
        con.execute(f"DETACH {_ALIAS}")
    fsync(tmp)
    target = serving_dir / SERVING_FILE
    os.replace(tmp, target)
    fsync(serving_dir)  # the rename itself survives a power cut
    remove_leftovers(serving_dir)  # older Parquet exports
    return Publication(
        path=target,
        tables=[f"{s}.{t}" for s, t in tables],
        rows=rows,
        comments=comments,
        size_bytes=target.stat().st_size,
        seconds=time.perf_counter() - started,
        parquet_dir=parquet_dir,
        contacts=contacts,
        withheld=withheld,
    )
