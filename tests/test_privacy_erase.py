"""`crm360 erase`: the person leaves every layer, the files beside it and the serving copy, and landing
files that still hold them do not bring them back (issue 22)."""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from pipelines.config import load_settings
from pipelines.defs.build_state import read_state
from tests.privacy_helpers import holding, person_in_several_feeds

pytestmark = pytest.mark.integration

KEY = "a-test-pseudonym-key-of-some-length"


@pytest.fixture(scope="module")
def erased(small, tmp_path_factory):
    """A data directory built from the small landing, one person erased by e-mail, then a run over the
    same landing plus a re-delivered POS file holding the person; what the test needs to check it."""
    from pipelines.cli import main
    from pipelines.defs.runner import run_pipeline

    data = tmp_path_factory.mktemp("erased")
    shutil.copytree(small / "landing", data / "landing")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM360_")} | {"CRM360_PSEUDONYM_KEY": KEY}
    settings = load_settings(data_dir=data, env=env)
    first = run_pipeline(settings)
    assert not first.failures, first.failures
    key, email, emails, phones = person_in_several_feeds(settings.warehouse_path)
    needles = [*emails, *phones]
    before = {
        "tables": holding(settings.warehouse_path, needles),
        "served": holding(settings.serving_dir / "crm360.duckdb", needles),
        "bytes": email.encode() in settings.warehouse_path.read_bytes(),
        "revenue": _revenue(settings.warehouse_path),
    }
    built = read_state(data)
    result = CliRunner().invoke(
        main, ["erase", "--email", email.upper(), "--data-dir", str(data)], env=env, catch_exceptions=False
    )
    state_after_erase = read_state(data)
    after_erase = {
        "tables": holding(settings.warehouse_path, needles),
        "served": holding(settings.serving_dir / "crm360.duckdb", needles),
        "bytes": email.encode() in settings.warehouse_path.read_bytes(),
        "revenue": _revenue(settings.warehouse_path),
        "sourceless": _keyless_with_source(settings.warehouse_path),
        "sessions": _erased_sessions(settings.warehouse_path),
    }
    redelivered = _redeliver(data / "landing", email)
    _add_legacy_contact_column(settings.warehouse_path)
    second = run_pipeline(settings)
    # a second person, named by phone in another notation than any feed's (00 + country code)
    key2, _, emails2, phones2 = person_in_several_feeds(settings.warehouse_path)
    by_phone = CliRunner().invoke(
        main, ["erase", "--phone", "00" + phones2[0].lstrip("+"), "--data-dir", str(data)], env=env
    )
    rebuilt = run_pipeline(settings, full_refresh=True)
    return {
        "rebuilt": rebuilt,
        "sessions_rebuilt": _erased_sessions(settings.warehouse_path),
        "settings": settings,
        "key": key,
        "email": email,
        "needles": needles,
        "cli": result,
        "before": before,
        "after_erase": after_erase,
        "state": (built, state_after_erase),
        "redelivered": redelivered,
        "second": second,
        "by_phone": (by_phone, key2, [*emails2, *phones2]),
    }


def _add_legacy_contact_column(path: Path) -> None:
    """customer_360 as a warehouse built before issue 22 holds it: with an e-mail column."""
    con = duckdb.connect(str(path))
    try:
        con.execute("ALTER TABLE marts.customer_360 ADD COLUMN email VARCHAR")
        con.execute("UPDATE marts.customer_360 SET email = 'legacy.' || customer_key || '@example.com'")
    finally:
        con.close()


def _revenue(path: Path) -> float:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return float(con.execute("SELECT sum(amount) FROM core.fct_order_lines").fetchone()[0])
    finally:
        con.close()


def _keyless_with_source(path: Path) -> int:
    """Web events that lost their customer but still say where the customer came from."""
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(
            "SELECT count(*) FROM core.fct_web_events "
            "WHERE customer_key IS NULL AND customer_key_source IS NOT NULL"
        ).fetchone()[0]


def _erased_sessions(path: Path) -> dict[str, str]:
    """event_id -> session_id of the web events whose browser cookie an erasure replaced."""
    with duckdb.connect(str(path), read_only=True) as con:
        return dict(
            con.execute(
                "SELECT event_id, session_id FROM core.fct_web_events WHERE anonymous_id LIKE 'erased-%'"
            ).fetchall()
        )


def _redeliver(landing: Path, email: str) -> str:
    """Rewrite a POS file holding the person as a corrected re-delivery (one line more, same name)."""
    for path in sorted((landing / "pos").glob("*.csv")):
        rows = list(csv.DictReader(path.open(newline="")))
        mine = [r for r in rows if (r["email"] or "").strip().lower() == email]
        if mine:
            extra = dict(mine[0], line_number=str(max(int(r["line_number"]) for r in rows) + 1))
            with path.open("a", newline="") as f:
                csv.DictWriter(f, fieldnames=list(rows[0])).writerow(extra)
            return path.relative_to(landing).as_posix()
    raise AssertionError(f"no POS file holds {email}")


def test_the_person_was_there_before(erased):
    """The checks below can fail: before the erasure the person is in the warehouse and the serving copy."""
    assert erased["before"]["tables"]
    assert "core.dim_customer.email" in erased["before"]["tables"]


def test_erase_reports_and_succeeds(erased):
    result = erased["cli"]
    assert result.exit_code == 0, result.output
    assert "erasure " in result.output and "1 customer(s)" in result.output


def test_nothing_of_the_person_is_left_in_the_warehouse_or_the_serving_copy(erased):
    assert erased["after_erase"]["tables"] == []
    assert erased["after_erase"]["served"] == []
    settings = erased["settings"]
    assert holding(settings.warehouse_path, erased["needles"]) == []
    assert holding(settings.serving_dir / "crm360.duckdb", erased["needles"]) == []


def test_deleted_bytes_are_gone_from_the_file(erased):
    if not erased["before"]["bytes"]:
        pytest.fail("the e-mail's bytes were not in the file before the erasure: the check proves nothing")
    assert not erased["after_erase"]["bytes"]


def test_the_customer_is_gone_and_their_key_retired(erased):
    con = duckdb.connect(str(erased["settings"].warehouse_path), read_only=True)
    try:
        key = erased["key"]
        for table in ("core.dim_customer", "marts.customer_360", "core.customer_identity_map"):
            assert (
                con.execute(f"SELECT count(*) FROM {table} WHERE customer_key = ?", [key]).fetchone()[0] == 0
            )
        assert con.execute(
            "SELECT status FROM core.identity_keys WHERE customer_key = ?", [key]
        ).fetchall() == [("retired",)]
        assert (
            con.execute("SELECT count(*) FROM core.fct_order_lines WHERE customer_key = ?", [key]).fetchone()[
                0
            ]
            == 0
        )
    finally:
        con.close()


def test_an_event_that_lost_its_customer_loses_the_customers_source(erased):
    """customer_key_source names where the key came from: with the key gone it goes too, as a rebuild of
    the erased raw rows gives (and as the Spark engine's rebuild gives)."""
    assert erased["after_erase"]["sourceless"] == 0


def test_a_rebuild_gives_the_erased_sessions_the_same_ids(erased):
    """Session ids come from the session's first event id, not from the cookie the erasure replaced: a
    full rebuild from the erased raw rows (or Spark's rebuild) gives them the same ids."""
    kept = erased["after_erase"]["sessions"]
    assert kept, "the erased person had no web events"
    rebuilt = erased["sessions_rebuilt"]
    assert {e: rebuilt.get(e) for e in kept} == kept


def test_sales_stay_as_anonymous_sales(erased):
    assert erased["after_erase"]["revenue"] == pytest.approx(erased["before"]["revenue"])


def test_the_erasure_forgets_the_last_build(erased):
    """The warehouse changed outside a run: the next run builds (and a Spark copy syncs the erased loads)
    even when no new file has landed."""
    built, after = erased["state"]
    assert built is not None and built[1]
    assert after is None


def test_a_redelivered_file_does_not_bring_the_person_back(erased):
    second = erased["second"]
    assert not second.failures, second.failures
    settings = erased["settings"]
    assert holding(settings.warehouse_path, erased["needles"]) == []
    assert holding(settings.serving_dir / "crm360.duckdb", erased["needles"]) == []
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        read, loaded, quarantined, suppressed = con.execute(
            "SELECT rows_read, rows_loaded, rows_quarantined, rows_suppressed FROM audit.load_ledger "
            "WHERE source_file = ? ORDER BY loaded_at DESC LIMIT 1",
            [erased["redelivered"]],
        ).fetchone()
    finally:
        con.close()
    assert suppressed >= 2  # the person's lines of the file and the line added
    assert read == loaded + quarantined + suppressed


def test_the_erasure_log_holds_no_personal_data(erased):
    from sources.privacy.pseudonym import pseudonym

    con = duckdb.connect(str(erased["settings"].warehouse_path), read_only=True)
    try:
        rows = con.execute(
            "SELECT subject, requested_by, customer_keys, removed FROM audit.erasure_log ORDER BY erased_at"
        ).fetchall()
    finally:
        con.close()
    assert [r[1] for r in rows] == ["email", "phone"]
    subject, requested_by, keys, removed = rows[0]
    assert subject == pseudonym(KEY.encode(), f"email:{erased['email']}")
    assert (requested_by, keys) == ("email", 1)
    assert "core.dim_customer" in removed and erased["email"] not in removed


def test_erase_by_phone_finds_the_person_in_any_notation(erased):
    result, key, needles = erased["by_phone"]
    assert result.exit_code == 0, result.output
    assert "1 customer(s)" in result.output
    assert key != erased["key"]
    settings = erased["settings"]
    assert holding(settings.warehouse_path, needles) == []
    assert holding(settings.serving_dir / "crm360.duckdb", needles) == []


def test_a_mart_built_before_loses_the_columns_its_contract_dropped(erased):
    con = duckdb.connect(str(erased["settings"].warehouse_path), read_only=True)
    try:
        columns = [d[0] for d in con.execute("SELECT * FROM marts.customer_360 LIMIT 0").description]
    finally:
        con.close()
    assert "email" not in columns and "customer_key" in columns


def test_a_full_rebuild_from_raw_does_not_bring_anyone_back(erased):
    """Every incremental model rebuilt from the erased raw tables: neither person, nor a customer made of
    what erasure left in their place."""
    rebuilt = erased["rebuilt"]
    assert not rebuilt.failures, rebuilt.failures
    settings = erased["settings"]
    needles = [*erased["needles"], *erased["by_phone"][2]]
    assert holding(settings.warehouse_path, needles) == []
    assert holding(settings.serving_dir / "crm360.duckdb", needles) == []
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    try:
        tokens = con.execute(
            "SELECT count(*) FROM core.identity_records WHERE concat_ws(' ', account_id, loyalty_card, "
            "local_ref) ILIKE '%erased-%'"
        ).fetchone()[0]
        keys = con.execute(
            "SELECT count(*) FROM core.dim_customer WHERE customer_key IN (?, ?)",
            [erased["key"], erased["by_phone"][1]],
        ).fetchone()[0]
    finally:
        con.close()
    assert (tokens, keys) == (0, 0)
