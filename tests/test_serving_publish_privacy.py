"""publish() on a hand-made warehouse and manifest: personal columns stay out of the serving copy and its
Parquet export; the `restricted` schema only with contacts (CRM360_SERVING_CONTACTS)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.config import load_settings
from pipelines.defs.resources import ServingResource
from pipelines.serving.docs import TableDoc, table_docs
from pipelines.serving.publish import publish, served_columns


def _column(name: str, personal: str | None = None) -> dict:
    meta = {"personal": personal} if personal else {}
    return {"name": name, "description": f"about {name}", "config": {"meta": meta}, "meta": meta}


def _model(schema: str, name: str, columns: list[dict]) -> dict:
    return {
        "resource_type": "model",
        "schema": schema,
        "name": name,
        "alias": name,
        "description": f"the {name} table",
        "columns": {c["name"]: c for c in columns},
    }


MANIFEST = {
    "nodes": {
        "model.x.dim_customer": _model(
            "core", "dim_customer", [_column("customer_key"), _column("email", "email"), _column("region")]
        ),
        "model.x.customer_360": _model(
            "marts", "customer_360", [_column("customer_key"), _column("age_band")]
        ),
        "model.x.contacts": _model(
            "restricted",
            "campaign_contacts",
            [_column("customer_key"), _column("first_name", "name"), _column("email", "email")],
        ),
    },
    "sources": {},
}


@pytest.fixture
def warehouse(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    con.execute("""
        CREATE SCHEMA core; CREATE SCHEMA marts; CREATE SCHEMA restricted;
        CREATE TABLE core.dim_customer AS
            SELECT 'C1' AS customer_key, 'ann@example.com' AS email, 'North' AS region;
        -- built before the e-mail was dropped from the model (append_new_columns keeps it)
        CREATE TABLE marts.customer_360 AS
            SELECT 'C1' AS customer_key, 'ann@example.com' AS email, '25_to_34' AS age_band;
        CREATE TABLE restricted.campaign_contacts AS
            SELECT 'C1' AS customer_key, 'Ann' AS first_name, 'ann@example.com' AS email;
    """)
    yield con
    con.close()


def _served(path: Path) -> dict[str, list[str]]:
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            "SELECT schema_name || '.' || table_name, list(column_name ORDER BY column_index) "
            "FROM duckdb_columns() WHERE database_name = current_database() GROUP BY ALL"
        ).fetchall()
    return dict(rows)


def test_served_columns_leave_out_the_tagged_ones_except_restricted_contacts() -> None:
    doc = TableDoc("", {}, {"email": "email", "first_name": "name"})
    columns = ["customer_key", "first_name", "email", "region"]
    assert served_columns("core", doc, columns) == ["customer_key", "region"]
    assert served_columns("core", doc, columns, contacts=True) == ["customer_key", "region"]
    assert served_columns("restricted", doc, columns) == ["customer_key", "region"]
    assert served_columns("restricted", doc, columns, contacts=True) == columns


def test_served_columns_leave_out_personal_names_even_untagged() -> None:
    doc = TableDoc("", {}, {}, frozenset({"customer_key", "email", "phone", "country"}))
    assert served_columns("marts", doc, ["customer_key", "email", "phone", "country"]) == [
        "customer_key",
        "country",
    ]


def test_served_columns_leave_out_columns_the_manifest_no_longer_declares() -> None:
    """A column dropped from an incremental model's SQL stays in the built table, no longer tagged."""
    doc = TableDoc("", {}, {}, frozenset({"customer_key", "age_band"}))
    assert served_columns("marts", doc, ["customer_key", "email", "age_band"]) == ["customer_key", "age_band"]


def test_table_docs_read_the_personal_tags() -> None:
    docs = table_docs(MANIFEST)
    assert docs[("core", "dim_customer")].personal == {"email": "email"}
    assert docs[("restricted", "campaign_contacts")].personal == {"first_name": "name", "email": "email"}
    assert docs[("marts", "customer_360")].personal == {}


def test_default_publish_holds_no_personal_column_nor_restricted(warehouse, tmp_path: Path) -> None:
    publication = publish(warehouse, tmp_path / "serving", table_docs(MANIFEST), run_id="r1", parquet=True)
    served = _served(publication.path)
    assert served == {
        "core.dim_customer": ["customer_key", "region"],
        "marts.customer_360": ["customer_key", "age_band"],
        "main.publication": ["run_id", "published_at", "tables", "rows", "contacts"],
    }
    assert b"ann@example.com" not in publication.path.read_bytes()
    assert publication.withheld == 2 and not publication.contacts
    with duckdb.connect(str(publication.path), read_only=True) as con:
        assert con.execute("SELECT contacts FROM main.publication").fetchone() == (False,)
        comments = con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE comment IS NOT NULL"
        ).fetchall()
        exported = con.execute(
            f"DESCRIBE FROM '{publication.parquet_dir}/core/dim_customer.parquet'"
        ).fetchall()
    assert ("email",) not in comments
    assert [r[0] for r in exported] == ["customer_key", "region"]
    assert not (publication.parquet_dir / "restricted").exists()


def test_contacts_publish_the_restricted_tables_whole(warehouse, tmp_path: Path) -> None:
    publication = publish(warehouse, tmp_path / "serving", table_docs(MANIFEST), parquet=True, contacts=True)
    served = _served(publication.path)
    assert served["restricted.campaign_contacts"] == ["customer_key", "first_name", "email"]
    assert served["core.dim_customer"] == ["customer_key", "region"]  # still without its e-mail
    assert (publication.parquet_dir / "restricted" / "campaign_contacts.parquet").exists()
    with duckdb.connect(str(publication.path), read_only=True) as con:
        assert con.execute("SELECT contacts FROM main.publication").fetchone() == (True,)


def test_the_contacts_setting_reaches_the_serving_resource(tmp_path: Path) -> None:
    assert not ServingResource.from_settings(load_settings(data_dir=tmp_path, env={})).contacts
    settings = load_settings(data_dir=tmp_path, env={"CRM360_SERVING_CONTACTS": "true"})
    assert settings.serving_contacts and ServingResource.from_settings(settings).contacts
