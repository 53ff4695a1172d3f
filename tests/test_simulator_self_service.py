"""The simulator's web feed carries self-service pages, device types and browser locales."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import duckdb
import pytest

from sources.dev.simulator import simulate
from sources.dev.simulator.params import DEFAULT
from sources.feeds.web import DEVICE_TYPES

RUN = {"customers": 600, "days": 90, "seed": 13}


def _simulate(root: Path, **params: float) -> Path:
    simulate(out=root / "landing", params=dataclasses.replace(DEFAULT, **params), **RUN)
    return root / "landing"


def _web(con: duckdb.DuckDBPyConnection, landing: Path) -> None:
    files = [str(p) for p in sorted((landing / "web").glob("*")) if "_resent" not in p.name]
    con.execute(
        f"create or replace table web as select * from read_json({files}, format='newline_delimited', "
        "union_by_name=true, ignore_errors=true, columns={'event_type': 'VARCHAR', 'url': 'VARCHAR', "
        "'user_id': 'VARCHAR', 'device_type': 'VARCHAR', 'locale': 'VARCHAR', 'occurred_at': 'VARCHAR'})"
    )


def _inbound_service(landing: Path) -> int:
    """Inbound service calls and e-mails (the CSV; chats are a file of their own)."""
    calls = [str(p) for p in sorted((landing / "callcenter").glob("calls_*.csv")) if "_resent" not in p.name]
    return (
        duckdb.connect()
        .execute(
            f"select count(*) from read_csv({calls}, all_varchar=true) "
            "where direction = 'inbound' and queue <> 'telesales'"
        )
        .fetchone()[0]
    )


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _simulate(tmp_path_factory.mktemp("self_service_sim"))


def test_self_service_pages_of_every_topic_are_emitted(landing: Path) -> None:
    con = duckdb.connect()
    _web(con, landing)
    sql = "select regexp_extract(url, '^https?://[^/]+([^?]*)', 1) from web where url is not null"
    paths = [r[0] for r in con.execute(sql).fetchall()]
    assert sum(p.startswith("/account/orders/") for p in paths) > 0  # a problem's own order page
    for page in ("/order-status", "/help/shipping", "/account/details", "/help/faq"):
        assert page in paths, page
    own = con.execute(
        "select count(*), count(user_id) from web where url like '%/account/orders/%'"
    ).fetchone()
    assert own[0] == own[1]  # the account's order page is only seen logged in


def test_device_type_and_locale_on_every_event(landing: Path) -> None:
    con = duckdb.connect()
    _web(con, landing)
    rows = con.execute("select device_type, locale from web where event_type is not null").fetchall()
    assert rows
    assert {d for d, _ in rows} == set(DEVICE_TYPES)
    assert all(re.fullmatch(r"[a-z]{2}-[A-Z]{2}", loc or "") for _, loc in rows)
    assert len({loc.split("-")[0] for _, loc in rows}) >= 3


def test_self_service_deflects_service_contacts(tmp_path: Path) -> None:
    """With every looked-up problem answered on the web, fewer people contact the service."""
    never = _inbound_service(_simulate(tmp_path / "never", self_service_deflection=0.0))
    always = _inbound_service(_simulate(tmp_path / "always", self_service_deflection=1.0))
    assert always < never, (always, never)
