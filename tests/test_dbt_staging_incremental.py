"""Incremental staging models (web events, POS lines): a second dbt run takes only the new loads."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.dbt_helpers import _dbt, _rows
from tests.dbt_staging_fixtures import LOAD_2, RAW_ROWS, _insert, _make_warehouse

pytestmark = pytest.mark.integration  # two real dbt builds per test


def test_incremental_web_events_keep_latest_load(tmp_path: Path) -> None:
    """A second run picks up only new loads and replaces re-sent events with their latest load."""
    warehouse = tmp_path / "warehouse.duckdb"
    _make_warehouse(warehouse, {"web": RAW_ROWS["web"][:2]})
    first = _dbt(["run", "--select", "stg_web__events"], warehouse, tmp_path)
    assert first.returncode == 0, first.output[-6000:]

    con = duckdb.connect(str(warehouse))
    _insert(
        con,
        "web",
        [
            (
                LOAD_2,
                {
                    "event_id": "e-2",
                    "event_type": "login",
                    "anonymous_id": "a-1",
                    "user_id": "ACC-000999",
                    "occurred_at": "2026-03-01T09:06:00+01:00",
                },
            ),
            (
                LOAD_2,
                {
                    "event_id": "e-9",
                    "event_type": "logout",
                    "anonymous_id": "a-1",
                    "occurred_at": "2026-03-01T10:00:00+01:00",
                },
            ),
        ],
    )
    con.close()
    second = _dbt(["run", "--select", "stg_web__events"], warehouse, tmp_path)
    assert second.returncode == 0, second.output[-6000:]

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = _rows(con, "select event_id, account_id, load_id from staging.stg_web__events order by 1")
    finally:
        con.close()
    assert rows == [
        {"event_id": "e-1", "account_id": None, "load_id": "L-001"},
        {"event_id": "e-2", "account_id": "ACC-000999", "load_id": "L-002"},
        {"event_id": "e-9", "account_id": None, "load_id": "L-002"},
    ]


def test_incremental_pos_lines_keep_latest_load(tmp_path: Path) -> None:
    """POS staging is incremental too: a re-sent line is replaced, untouched lines stay as loaded."""
    warehouse = tmp_path / "warehouse.duckdb"
    _make_warehouse(warehouse, {"pos": RAW_ROWS["pos"][:2]})
    first = _dbt(["run", "--select", "stg_pos__transaction_lines"], warehouse, tmp_path)
    assert first.returncode == 0, first.output[-6000:]

    line_1 = {**RAW_ROWS["pos"][0][1], "amount": "8.00", "discount": "2.00"}
    new = {**RAW_ROWS["pos"][0][1], "transaction_id": "T-9", "amount": "10.00"}
    # stamped before the newest staged load: only a full rebuild would read it
    backdated = (
        {"_load_id": "L-000", "_loaded_at": "2026-03-01 06:00:00+00"},
        {**new, "transaction_id": "T-8"},
    )
    con = duckdb.connect(str(warehouse))
    _insert(con, "pos", [(LOAD_2, line_1), (LOAD_2, new), backdated])
    con.close()
    second = _dbt(["run", "--select", "stg_pos__transaction_lines"], warehouse, tmp_path)
    assert second.returncode == 0, second.output[-6000:]

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = _rows(
            con,
            "select transaction_id, line_number, amount, load_id from staging.stg_pos__transaction_lines "
            "order by 1, 2",
        )
    finally:
        con.close()
    assert rows == [
        {"transaction_id": "T-1", "line_number": 1, "amount": Decimal("8.00"), "load_id": "L-002"},
        {
            "transaction_id": "T-1",
            "line_number": 2,
            "amount": Decimal(RAW_ROWS["pos"][1][1]["amount"]),
            "load_id": "L-001",
        },
        {"transaction_id": "T-9", "line_number": 1, "amount": Decimal("10.00"), "load_id": "L-002"},
    ]
