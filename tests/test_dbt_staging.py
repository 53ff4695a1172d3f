"""Real dbt build of the staging and intermediate layers on a hand-made raw DuckDB warehouse."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import duckdb
import pytest
import yaml

from sources.feeds import FEEDS
from tests.dbt_helpers import DBT_PROJECT_DIR, DbtRun, _dbt, _rows
from tests.dbt_staging_fixtures import RAW_ROWS, _make_warehouse


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[duckdb.DuckDBPyConnection, DbtRun]]:
    """The raw rows above, built with `dbt build --select staging intermediate`."""
    work_dir = tmp_path_factory.mktemp("dbt_staging")
    warehouse = work_dir / "warehouse.duckdb"
    _make_warehouse(warehouse, RAW_ROWS)
    run = _dbt(["build", "--select", "tag:pre_identity"], warehouse, work_dir)
    assert run.returncode == 0, run.output[-6000:]
    con = duckdb.connect(str(warehouse), read_only=True)
    yield con, run
    con.close()


@pytest.mark.integration
def test_build_runs_models_data_tests_and_unit_tests(built: tuple[duckdb.DuckDBPyConnection, DbtRun]) -> None:
    _, run = built
    by_kind: dict[str, int] = {}
    for result in run.results:
        assert result["status"] in ("success", "pass"), (result["unique_id"], result["message"])
        kind = result["unique_id"].split(".")[0]
        by_kind[kind] = by_kind.get(kind, 0) + 1
    assert by_kind.get("model") == 9  # 7 staging (pos_order_events: issue 23) and 2 intermediate
    assert by_kind.get("unit_test", 0) >= 8
    assert by_kind.get("test", 0) >= 50


@pytest.mark.integration
def test_models_land_in_verbatim_schemas(built: tuple[duckdb.DuckDBPyConnection, DbtRun]) -> None:
    con, _ = built
    found = {
        (schema, name)
        for schema, name in con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('staging', 'intermediate')"
        ).fetchall()
    }
    assert {
        ("staging", "stg_web__events"),
        ("staging", "stg_pos__transaction_lines"),
        ("staging", "stg_callcenter__interactions"),
        ("staging", "stg_response_list__responses"),
        ("staging", "stg_compiled_list__records"),
        ("staging", "stg_campaign_audience__members"),
        ("intermediate", "int_contact_records"),
        ("intermediate", "int_web_anonymous_links"),
    } <= found
    schemas = {s for (s,) in con.execute("select schema_name from information_schema.schemata").fetchall()}
    assert not any(s.startswith("main_") for s in schemas)


@pytest.mark.integration
def test_dedupe_keeps_latest_load(built: tuple[duckdb.DuckDBPyConnection, DbtRun]) -> None:
    con, _ = built
    web = _rows(con, "select event_id, occurred_at, load_id from staging.stg_web__events order by event_id")
    assert [r["event_id"] for r in web] == ["e-1", "e-2", "e-3"]
    assert web[1]["load_id"] == "L-002" and web[1]["occurred_at"] == datetime(2026, 3, 1, 8, 6)

    pos = _rows(
        con,
        "select transaction_id, line_number, amount, load_id "
        "from staging.stg_pos__transaction_lines order by transaction_id, line_number",
    )
    assert [(r["transaction_id"], r["line_number"]) for r in pos] == [("T-1", 1), ("T-1", 2), ("T-2", 1)]
    assert pos[0]["amount"] == Decimal("9.00") and pos[0]["load_id"] == "L-002"

    audience = _rows(con, "select * from staging.stg_campaign_audience__members")
    assert len(audience) == 1
    assert audience[0]["account_id"] == "ACC-000123" and audience[0]["cell"] == "treatment"
    assert audience[0]["load_id"] == "L-002"


@pytest.mark.integration
def test_contact_values_are_normalized(built: tuple[duckdb.DuckDBPyConnection, DbtRun]) -> None:
    con, _ = built
    # every notation of the same London number, in every feed, ends as one E.164 value
    phones = {
        p
        for (p,) in con.execute(
            "select phone from intermediate.int_contact_records where source_record_id <> 'V1-L07-000001'"
            " and phone is not null"
        ).fetchall()
    }
    assert phones == {"+442079460123"}

    web = _rows(con, "select * from staging.stg_web__events where event_id = 'e-3'")[0]
    assert web["first_name"] == "Anna" and web["last_name"] == "Schmidt"
    assert web["email"] == "anna.schmidt+news@example.com"
    assert web["email_canonical"] == "anna.schmidt@example.com"
    assert web["country"] == "GB" and web["postcode"] == "SW1A 1AA"
    # 23:30 at -05:00 is 04:30 the next day in UTC
    assert web["occurred_at"] == datetime(2026, 3, 2, 4, 30)

    response = _rows(con, "select * from staging.stg_response_list__responses")[0]
    assert response["first_name"] == "Anna-Maria" and response["city"] == "London"
    assert response["address_line1"] == "12 High Street" and response["postcode"] == "SW1A 1AA"
    assert response["campaign_id"] == "CMP-2026-03" and response["consent_email"] is True

    call = _rows(con, "select * from staging.stg_callcenter__interactions")[0]
    assert call["last_name"] == "O'Brien" and call["channel"] == "phone"
    assert call["started_at"] == datetime(2026, 3, 1, 9, 0)
    assert call["account_id"] == "ACC-000123" and call["loyalty_card"] is None

    types = dict(
        con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'staging' and table_name = 'stg_callcenter__interactions'"
        ).fetchall()
    )
    assert types["started_at"] == "TIMESTAMP" and types["loaded_at"] == "TIMESTAMP"


@pytest.mark.integration
def test_contact_records_interface(built: tuple[duckdb.DuckDBPyConnection, DbtRun]) -> None:
    con, _ = built
    columns = [
        c
        for (c,) in con.execute(
            "select column_name from information_schema.columns where table_schema = 'intermediate' "
            "and table_name = 'int_contact_records' order by ordinal_position"
        ).fetchall()
    ]
    assert columns == [
        "source_system",
        "source_record_id",
        "observed_at",
        "first_name",
        "last_name",
        "email",
        "email_canonical",
        "phone",
        "address_line1",
        "address_line2",
        "city",
        "postcode",
        "region",
        "country",
        "date_of_birth",
        "account_id",
        "loyalty_card",
        "local_ref",
        "anonymous_id",
        "loaded_at",  # the incremental watermark
    ]
    records = {
        (r["source_system"], r["source_record_id"]): r
        for r in _rows(con, "select * from intermediate.int_contact_records")
    }
    assert set(records) == {
        ("web", "e-2"),
        ("web", "e-3"),
        ("pos", "T-1"),
        ("callcenter", "I-1"),
        ("response_list", "R-1"),
        ("compiled_list", "V1-L07-000001"),
    }
    pos = records[("pos", "T-1")]
    assert pos["email"] == "anna@example.com"  # from line 1, not line 2
    assert pos["loyalty_card"] == "LC-0001234" and pos["account_id"] is None
    assert pos["first_name"] == "Anna" and pos["country"] == "GB"
    login = records[("web", "e-2")]
    assert login["account_id"] == "ACC-000123" and login["anonymous_id"] == "a-1"
    assert login["observed_at"] == datetime(2026, 3, 1, 8, 6)
    listed = records[("compiled_list", "V1-L07-000001")]
    assert listed["phone"] == "+442079460999" and listed["date_of_birth"] == date(1984, 3, 21)
    assert listed["observed_at"] == datetime(2026, 3, 2, 6, 0)

    links = _rows(con, "select * from intermediate.int_web_anonymous_links")
    assert links == [
        {"anonymous_id": "a-1", "account_id": "ACC-000123", "first_login_at": datetime(2026, 3, 1, 8, 6)}
    ]


@pytest.mark.integration
def test_documented_columns_match_built_columns(built: tuple[duckdb.DuckDBPyConnection, DbtRun]) -> None:
    """Every model's yml lists exactly the columns the model builds, in order, each described."""
    con, run = built
    documented: dict[str, list[dict[str, Any]]] = {}
    for yml in (DBT_PROJECT_DIR / "models").rglob("*.yml"):
        for model in (yaml.safe_load(yml.read_text()) or {}).get("models", []):
            documented[model["name"]] = model.get("columns", [])
    built_models = {r["unique_id"].split(".")[-1] for r in run.results if r["unique_id"].startswith("model.")}
    for name in [n for n in documented if n in built_models]:
        built_columns = [
            c
            for (c,) in con.execute(
                "select column_name from information_schema.columns where table_name = ? "
                "order by ordinal_position",
                [name],
            ).fetchall()
        ]
        assert [c["name"] for c in documented[name]] == built_columns, name
        assert all(c.get("description") for c in documented[name]), name


def test_sources_document_every_contract_column() -> None:
    sources = yaml.safe_load((DBT_PROJECT_DIR / "models/staging/_sources.yml").read_text())["sources"]
    raw = next(s for s in sources if s["name"] == "raw")
    assert raw["config"]["loaded_at_field"] == "_loaded_at"
    tables = {t["name"]: t for t in raw["tables"]}
    assert set(tables) == set(FEEDS)
    for name, contract in FEEDS.items():
        described = {c["name"]: c["description"] for c in tables[name]["columns"]}
        for column in contract.columns:
            assert described.get(column.name) == column.description, (name, column.name)
        assert {"_load_id", "_source_file", "_source_line", "_loaded_at", "_extra"} <= set(described)
