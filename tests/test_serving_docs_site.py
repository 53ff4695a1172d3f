"""dbt's docs site with its catalog from a built warehouse (`crm360 docs`, `make docs`), and a run with
nothing new that republishes a missing serving copy."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from pipelines.config import Settings
from pipelines.defs.dbt_project import generate_docs

pytestmark = pytest.mark.integration


def test_docs_generate_writes_the_site_and_a_catalog_of_the_warehouse(
    served: Settings, tmp_path: Path
) -> None:
    index = generate_docs(served.warehouse_path, tmp_path / "site")
    assert index.is_file() and index.stat().st_size > 10_000
    catalog = json.loads((tmp_path / "site" / "catalog.json").read_text())
    node = catalog["nodes"]["model.crm360.customer_360"]
    con = duckdb.connect(str(served.warehouse_path), read_only=True)
    try:
        sql = "select column_name from duckdb_columns() where schema_name = 'marts' and table_name = ?"
        columns = {c for (c,) in con.execute(sql, ["customer_360"]).fetchall()}
    finally:
        con.close()
    assert {c.lower() for c in node["columns"]} == {c.lower() for c in columns}
    assert len(catalog["nodes"]) >= 50


def test_a_run_with_nothing_new_republishes_a_missing_serving_copy(served: Settings) -> None:
    from pipelines.defs.runner import run_pipeline

    served_file = served.serving_dir / "crm360.duckdb"
    served_file.unlink()
    summary = run_pipeline(served)  # the same landing, settings and code as the fixture's run
    assert summary.nothing_new_since, "nothing is new since the fixture's run"
    assert summary.materialized == {"serving.crm360"}
    assert summary.serving == served_file and summary.serving_run == summary.run_id
