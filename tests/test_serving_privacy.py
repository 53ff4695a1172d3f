"""The serving copy holds no personal data (issue 22): no column the dbt manifest tags personal, and none
of the landing's e-mails, phones or names, in the DuckDB file or its Parquet export."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.config import Settings
from pipelines.defs.dbt_project import ensure_manifest
from pipelines.serving.docs import TableDoc, load_table_docs
from sources.contracts import PERSONAL_COLUMN_NAMES
from tests import privacy_scan as scan


@pytest.fixture(scope="module")
def docs() -> dict[tuple[str, str], TableDoc]:
    return load_table_docs(ensure_manifest())


def served_columns(path: Path) -> dict[tuple[str, str], list[str]]:
    """(schema, table) -> columns of every table outside `main` in a DuckDB file."""
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            "SELECT schema_name, table_name, list(column_name ORDER BY column_index) FROM duckdb_columns() "
            "WHERE database_name = current_database() AND schema_name <> 'main' GROUP BY ALL"
        ).fetchall()
    return {(s, t): cols for s, t, cols in rows}


def parquet_columns(folder: Path) -> dict[tuple[str, str], list[str]]:
    """(schema, table) -> columns of every `<schema>/<table>.parquet` under `folder`."""
    with duckdb.connect() as con:
        return {
            (p.parent.name, p.stem): [
                r[0] for r in con.execute(f"DESCRIBE FROM read_parquet('{p}')").fetchall()
            ]
            for p in sorted(folder.glob("*/*.parquet"))
        }


def tagged(docs: dict[tuple[str, str], TableDoc], columns: dict[tuple[str, str], list[str]]) -> list[str]:
    """`schema.table.column (kind)` of each column the manifest tags personal or that has a personal
    column's name (a model whose YAML lacks the tag); undocumented tables too."""
    found = [f"{s}.{t} (undocumented)" for s, t in columns if (s, t) not in docs]
    kinds = {k: PERSONAL_COLUMN_NAMES | docs[k].personal for k in columns if k in docs}
    return found + [
        f"{s}.{t}.{c} ({kinds[(s, t)][c]})" for (s, t) in kinds for c in columns[(s, t)] if c in kinds[(s, t)]
    ]


def test_no_served_column_is_tagged_personal(served: Settings, docs: dict[tuple[str, str], TableDoc]) -> None:
    columns = served_columns(served.serving_dir / "crm360.duckdb")
    assert ("marts", "customer_360") in columns and ("core", "dim_customer") in columns
    assert tagged(docs, columns) == []
    exported = parquet_columns(served.serving_dir / "parquet")
    assert set(exported) == set(columns)
    assert tagged(docs, exported) == []


def test_served_values_hold_no_landing_contact(served: Settings) -> None:
    with duckdb.connect() as con:
        scan.load_landing_contacts(con, served.landing_dir)
        counts = con.execute(
            "SELECT (SELECT count(*) FROM emails), (SELECT count(*) FROM phones), "
            "(SELECT count(*) FROM names)"
        ).fetchone()
        assert min(counts) > 20, counts  # the landing was read: the checks below can find something
        scan.load_served_values(con, served.serving_dir / "crm360.duckdb")
        assert scan.emails_found(con) == []
        assert scan.phones_found(con) == []
        assert scan.name_pairs_found(con) == []
        assert scan.name_columns_found(con) == []
        emails = [e for (e,) in con.execute("SELECT email FROM emails").fetchall()]
    assert scan.emails_in_bytes(served.serving_dir / "crm360.duckdb", emails) == []
