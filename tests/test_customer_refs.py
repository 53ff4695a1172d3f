"""A warehouse fed a shop's own customer numbers: kept as feed-namespaced local references that
identity resolution links, with a counted warning; a pattern change restages what came before."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from pipelines.identity import IdentitySettings, resolve_identities
from quality.results import dbt_results_to_check_results, record_results
from tests.dbt_helpers import DbtRun, _dbt, _rows
from tests.dbt_staging_fixtures import LOAD_1, LOAD_2, Rows, _make_warehouse

pytestmark = pytest.mark.integration  # real dbt builds of staging and core

# --- a warehouse fed a shop's own customer numbers --------------------------------------------


def _line(tid: str, line: int, ref: str | None, day: int, **extra: Any) -> dict[str, Any]:
    return {
        "transaction_id": tid,
        "line_number": line,
        "store_id": "S-001",
        "sku": f"SKU-{line}",
        "transaction_at": f"2026-02-{day:02d}T12:00:00+00:00",
        "quantity": 1,
        "unit_price": "10.00",
        "amount": "10.00",
        "customer_ref": ref,
        **extra,
    }


# A retail purchase log: the shop's customer numbers and nothing else about the buyer.
SHOP_ROWS: dict[str, Rows] = {
    "pos": [
        (LOAD_1, _line("T-1", 1, "100234", 1)),
        (LOAD_1, _line("T-1", 2, "100234", 1)),
        (LOAD_1, _line("T-2", 1, " 100234 ", 2)),
        (LOAD_1, _line("T-3", 1, "100234", 3)),
        (LOAD_1, _line("T-4", 1, "100235", 2)),
        (LOAD_1, _line("T-5", 1, "100235", 4)),
        # today's formats still mean what they meant
        (LOAD_1, _line("T-6", 1, "acc-000123", 5)),
        (LOAD_1, _line("T-7", 1, "LC-0001234", 5)),
        # two numbers on one receipt: the second is not used for identity, and is counted
        (LOAD_1, _line("T-8", 1, "100236", 6)),
        (LOAD_1, _line("T-8", 2, "100237", 6)),
        # an anonymous sale stays out
        (LOAD_1, _line("T-9", 1, None, 6)),
    ],
    # the same number in another system's numbering is someone else
    "callcenter": [
        (
            LOAD_2,
            {
                "interaction_id": "I-1",
                "channel": "phone",
                "direction": "inbound",
                "queue": "service",
                "started_at": "2026-02-03T10:00:00+00:00",
                "ended_at": "2026-02-03T10:05:00+00:00",
                "abandoned": False,
                "customer_ref": "100234",
            },
        ),
    ],
}

# Second configuration: this shop's numbers are in fact its account ids (six digits).
ACCOUNT_PATTERNS = {
    "customer_ref_patterns": {
        "pos": {"account_id": "^[0-9]{6}$", "loyalty_card": "^LC-"},
        "callcenter": {"account_id": "^ACC-", "loyalty_card": "^LC-"},
    }
}


@dataclass
class Built:
    warehouse: Path
    run: DbtRun
    keys: dict[tuple[str, str], str]
    staged: list[dict[str, Any]]
    checks: dict[str, dict[str, Any]]
    upgraded: list[dict[str, Any]]
    rerun: DbtRun
    restaged: list[dict[str, Any]]
    rekeys: dict[tuple[str, str], str]


def _resolve_keys(warehouse: Path) -> dict[tuple[str, str], str]:
    con = duckdb.connect(str(warehouse))
    try:
        resolve_identities(con, IdentitySettings(), "run-refs")
        rows = con.execute(
            "select source_system, source_record_id, customer_key from core.customer_identity_map"
        ).fetchall()
    finally:
        con.close()
    return {(s, r): k for s, r, k in rows}


def _staged(warehouse: Path) -> list[dict[str, Any]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return _rows(
            con,
            "select transaction_id, line_number, customer_ref, account_id, loyalty_card, local_ref "
            "from staging.stg_pos__transaction_lines order by transaction_id, line_number",
        )
    finally:
        con.close()


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    """dbt's pre-identity build with the default patterns, its test results recorded the way the
    pipeline records them, identity resolution; then the same warehouse rebuilt incrementally
    with other patterns for POS, and resolved again."""
    work = tmp_path_factory.mktemp("customer_refs")
    warehouse = work / "warehouse.duckdb"
    _make_warehouse(warehouse, SHOP_ROWS)
    select = ["--select", "tag:pre_identity", "--exclude-resource-type", "unit_test"]
    run = _dbt(["build", *select], warehouse, work)
    assert run.returncode == 0, run.output[-6000:]
    staged = _staged(warehouse)
    results = dbt_results_to_check_results(
        json.loads((work / "target" / "run_results.json").read_text()),
        "run-refs",
        json.loads((work / "target" / "manifest.json").read_text()),
    )
    con = duckdb.connect(str(warehouse))
    try:
        record_results(con, results, "run-refs")
        checks = {
            r["check_name"]: r
            for r in _rows(con, "select * from audit.check_results where run_id = 'run-refs'")
        }
    finally:
        con.close()
    keys = _resolve_keys(warehouse)

    # a warehouse staged before local_ref existed: the next incremental run fills it in
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("alter table staging.stg_pos__transaction_lines drop column local_ref")
    finally:
        con.close()
    upgrade = _dbt(["build", *select], warehouse, work / "upgrade")
    assert upgrade.returncode == 0, upgrade.output[-6000:]
    upgraded = _staged(warehouse)

    rerun = _dbt(["build", *select, "--vars", json.dumps(ACCOUNT_PATTERNS)], warehouse, work / "second")
    assert rerun.returncode == 0, rerun.output[-6000:]
    yield Built(
        warehouse, run, keys, staged, checks, upgraded, rerun, _staged(warehouse), _resolve_keys(warehouse)
    )


def test_shop_numbers_are_kept_as_feed_local_refs(built: Built) -> None:
    by_line = {(r["transaction_id"], r["line_number"]): r for r in built.staged}
    assert by_line[("T-2", 1)]["local_ref"] == "pos:100234"
    assert by_line[("T-2", 1)]["account_id"] is None and by_line[("T-2", 1)]["loyalty_card"] is None
    assert by_line[("T-6", 1)]["account_id"] == "ACC-000123" and by_line[("T-6", 1)]["local_ref"] is None
    assert by_line[("T-7", 1)]["loyalty_card"] == "LC-0001234" and by_line[("T-7", 1)]["local_ref"] is None
    assert by_line[("T-9", 1)]["customer_ref"] is None and by_line[("T-9", 1)]["local_ref"] is None


def test_each_shop_number_resolves_to_one_customer(built: Built) -> None:
    keys = built.keys
    first = {keys[("pos", t)] for t in ("T-1", "T-2", "T-3")}
    second = {keys[("pos", t)] for t in ("T-4", "T-5")}
    assert len(first) == 1 and len(second) == 1 and first != second
    # callcenter's 100234 is another system's number: never the shop's customer 100234
    assert keys[("callcenter", "I-1")] not in first | second
    assert ("pos", "T-9") not in keys
    # 9 transactions with a reference, 1 interaction: 3 + 2 share keys, the rest are their own
    assert len(set(keys.values())) == 2 + 3 + 1


def test_unrecognised_refs_are_a_counted_warning(built: Built) -> None:
    unrecognised = built.checks["dbt:pos_customer_ref_unrecognised"]
    assert unrecognised["severity"] == "warn" and unrecognised["passed"] is False
    assert unrecognised["failing_rows"] == 8  # lines of T-1..T-5 and T-8
    assert unrecognised["asset"] == "staging.stg_pos__transaction_lines"
    assert built.checks["dbt:callcenter_customer_ref_unrecognised"]["failing_rows"] == 1
    # the second number on T-8 is not used for identity: counted
    several = built.checks["dbt:pos_one_customer_ref_per_transaction"]
    assert several["severity"] == "warn" and several["failing_rows"] == 1
    # every non-empty reference landed somewhere
    assert built.checks["dbt:pos_customer_ref_kept"]["passed"] is True
    assert built.checks["dbt:callcenter_customer_ref_kept"]["passed"] is True


def test_lines_staged_before_local_ref_existed_get_it(built: Built) -> None:
    assert built.upgraded == built.staged


def test_configured_account_pattern_restages_and_links(built: Built) -> None:
    """A pattern change reaches lines staged before it (the POS model is incremental)."""
    by_line = {(r["transaction_id"], r["line_number"]): r for r in built.restaged}
    assert by_line[("T-2", 1)]["account_id"] == "100234" and by_line[("T-2", 1)]["local_ref"] is None
    assert by_line[("T-6", 1)]["account_id"] is None
    assert by_line[("T-6", 1)]["local_ref"] == "pos:ACC-000123"
    assert by_line[("T-7", 1)]["loyalty_card"] == "LC-0001234"
    keys = built.rekeys
    assert len({keys[("pos", t)] for t in ("T-1", "T-2", "T-3")}) == 1
    assert keys[("pos", "T-1")] != keys[("pos", "T-4")]
    statuses = {r["unique_id"].split(".")[2]: r["status"] for r in built.rerun.results}
    assert statuses["pos_customer_ref_unrecognised"] == "warn"  # ACC-000123 is now unknown here
