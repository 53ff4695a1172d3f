"""The pure parts of erasure: personal columns from dbt meta, the needles, compaction, file redaction."""

from __future__ import annotations

import duckdb

from pipelines.privacy.compact import compact
from pipelines.privacy.erase import needles
from pipelines.privacy.files import REDACTED, redact_files
from pipelines.privacy.subject import Subject
from pipelines.privacy.tags import contract_personal_columns, manifest_personal_columns
from sources.feeds import FEEDS


def test_personal_columns_come_from_column_meta_old_and_new_style():
    manifest = {
        "nodes": {
            "model.x.dim_customer": {
                "resource_type": "model",
                "schema": "core",
                "name": "dim_customer",
                "columns": {
                    "email": {"config": {"meta": {"personal": "email"}}},
                    "phone": {"meta": {"personal": "phone"}},
                    "region": {"config": {"meta": {}}},
                },
            },
            "test.x.t": {"resource_type": "test", "schema": "core", "name": "t", "columns": {}},
        },
        "sources": {},
    }
    assert manifest_personal_columns(manifest) == {
        ("core", "dim_customer"): {"email": "email", "phone": "phone"}
    }


def test_raw_personal_columns_are_the_contracts():
    pos = contract_personal_columns(FEEDS["pos"])
    assert pos["email"] == "email" and pos["customer_ref"] == "customer_id"
    assert "region" not in pos and "amount" not in pos


def test_needles_hold_every_form_of_the_phone_and_ids_exactly():
    subject = Subject(
        "email",
        ["C1"],
        [],
        {
            "email": {" Anna.S@Example.com "},
            "phone": {"+44 20 7946 0123", "12"},
            "customer_id": {"acc-000123 "},
            "online_id": {"a-7f3c2e"},
        },
    )
    contained, equal = needles(subject)
    assert "anna.s@example.com" in contained
    assert {"+44 20 7946 0123", "+442079460123", "442079460123"} <= set(contained)
    assert "12" not in contained  # too short to clear anything safely
    assert {"ACC-000123", "acc-000123", "a-7f3c2e"} <= set(equal)


def test_compaction_removes_the_bytes_of_deleted_rows(tmp_path):
    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA s; CREATE TABLE s.t (a VARCHAR PRIMARY KEY, b INTEGER NOT NULL)")
    con.execute("INSERT INTO s.t VALUES ('someone.secret@example.org', 1), ('kept', 2)")
    con.execute("CHECKPOINT")
    con.execute("DELETE FROM s.t WHERE b = 1")
    con.execute("CHECKPOINT")
    con.close()
    assert b"someone.secret@example.org" in path.read_bytes()  # DuckDB leaves freed blocks as they were
    before, after, _ = compact(path)
    assert b"someone.secret@example.org" not in path.read_bytes()
    con = duckdb.connect(str(path))
    assert con.execute("SELECT * FROM s.t").fetchall() == [("kept", 2)]
    assert {c for (c,) in con.execute("SELECT constraint_type FROM duckdb_constraints()").fetchall()} >= {
        "PRIMARY KEY",
        "NOT NULL",
    }
    con.close()
    assert after > 0 and before > 0


def test_redaction_replaces_text_and_deletes_binary_files(tmp_path):
    (tmp_path / "gx").mkdir()
    text = tmp_path / "gx" / "result.json"
    text.write_text('{"unexpected": ["Anna.S@example.com", "other@example.com"]}')
    binary = tmp_path / "dump.bin"
    binary.write_bytes(b"\xff\xfe anna.s@example.com")
    untouched = tmp_path / "ok.txt"
    untouched.write_text("nothing here")
    changed = redact_files([tmp_path], ["anna.s@example.com"])
    assert changed == {str(text): 1, str(binary): -1}
    assert text.read_text() == f'{{"unexpected": ["{REDACTED}", "other@example.com"]}}'
    assert not binary.exists() and untouched.read_text() == "nothing here"


def test_erase_refuses_or_waits_while_a_run_holds_the_data_directory(tmp_path):
    import threading
    import time

    import pytest

    from pipelines.config import load_settings
    from pipelines.defs.erasure import erase
    from pipelines.defs.run_lock import RunLocked, run_lock

    settings = load_settings(data_dir=tmp_path, env={"CRM360_PSEUDONYM_KEY": "k" * 32})
    with run_lock(tmp_path), pytest.raises(RunLocked):
        erase(settings, "email", "anna@example.com", wait=False)
    held = threading.Event()

    def hold() -> None:
        with run_lock(tmp_path):
            held.set()
            time.sleep(1.5)

    worker = threading.Thread(target=hold)
    worker.start()
    held.wait(10)
    started, waited = time.monotonic(), []
    with pytest.raises(FileNotFoundError):  # it waited for the run, then found no warehouse
        erase(settings, "email", "anna@example.com", wait=True, on_wait=waited.append)
    worker.join()
    assert waited and time.monotonic() - started >= 1.0


def test_erasing_someone_not_yet_delivered_keeps_their_first_delivery_out(tmp_path):
    """`crm360 erase` of an e-mail the warehouse never saw: no customer, one suppression entry, and the
    file that brings the address later is loaded without that row."""
    import duckdb

    from pipelines.config import load_settings
    from pipelines.defs.erasure import erase
    from sources.feeds import FEEDS
    from sources.ingest.loader import load_feed
    from sources.ingest.schema import ensure_schema
    from tests.ingest_helpers import POS_HEADER, write

    settings = load_settings(data_dir=tmp_path, env={"CRM360_PSEUDONYM_KEY": "k" * 32})
    settings.warehouse_path.parent.mkdir(parents=True)
    con = duckdb.connect(str(settings.warehouse_path))
    ensure_schema(con, list(FEEDS.values()))
    con.close()
    done = erase(settings, "email", "Later.Person+news@Example.com", wait=False)
    assert (done.customer_keys, done.suppressed, done.published) == (0, {"email": 1}, False)
    landing = tmp_path / "landing"
    rows = [
        "T-1,1,S-001,2025-01-01T10:00:00+00:00,SKU-1,1,9.99,9.99,,later.person@example.com",
        "T-2,1,S-001,2025-01-01T10:00:00+00:00,SKU-1,1,9.99,9.99,,someone.else@example.com",
    ]
    write(
        landing / "pos" / "pos_2025-01-01.csv", "\n".join([POS_HEADER + ",customer_ref,email", *rows]) + "\n"
    )
    con = duckdb.connect(str(settings.warehouse_path))
    try:
        load_feed(con, FEEDS["pos"], landing, "run-1", key=settings.load_pseudonym_key())
        raw = con.execute("SELECT transaction_id FROM raw.pos").fetchall()
        ledger = con.execute(
            "SELECT rows_read, rows_loaded, rows_suppressed FROM audit.load_ledger"
        ).fetchall()
    finally:
        con.close()
    assert raw == [("T-2",)] and ledger == [(2, 1, 1)]
