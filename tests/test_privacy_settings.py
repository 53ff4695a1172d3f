"""The pseudonym key reaches the loader through settings and the `landing` resource, never shown."""

from __future__ import annotations

import stat
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.config import load_settings
from tests.ingest_helpers import POS_HEADER, write

SECRET = "a-pseudonym-key-nobody-may-see-42"


def test_the_setting_gives_the_key_and_is_never_shown(tmp_path: Path) -> None:
    from pipelines.config_doc import render_configuration_markdown, setting_default
    from pipelines.defs.build_state import config_fingerprint

    settings = load_settings(tmp_path, env={"CRM360_PSEUDONYM_KEY": SECRET})
    assert settings.load_pseudonym_key() == SECRET.encode()
    assert SECRET not in repr(settings)
    assert config_fingerprint(settings) == config_fingerprint(load_settings(tmp_path, env={}))
    assert setting_default("pseudonym_key") is None and SECRET not in render_configuration_markdown()
    assert not settings.key_file.exists()  # the setting wins: no key file made


def test_a_short_key_setting_fails_when_settings_are_read(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least 16 characters"):
        load_settings(tmp_path, env={"CRM360_PSEUDONYM_KEY": "short"})


def test_the_key_file_defaults_to_the_data_dir_and_can_move(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, env={})
    assert settings.key_file == tmp_path.resolve() / "secrets" / "pseudonym.key"
    key = settings.load_pseudonym_key()
    assert stat.S_IMODE(settings.key_file.stat().st_mode) == 0o600
    assert load_settings(tmp_path, env={}).load_pseudonym_key() == key
    moved = load_settings(tmp_path, env={"CRM360_PSEUDONYM_KEY_FILE": str(tmp_path / "elsewhere.key")})
    assert moved.key_file == tmp_path.resolve() / "elsewhere.key" and moved.load_pseudonym_key() != key


def test_the_landing_resource_shows_an_env_key_by_name_only(tmp_path: Path, monkeypatch) -> None:
    from pipelines.defs.resources import LandingResource

    monkeypatch.setenv("CRM360_PSEUDONYM_KEY", SECRET)
    resource = LandingResource.from_settings(load_settings(tmp_path))
    assert SECRET not in repr(resource) and "CRM360_PSEUDONYM_KEY" in repr(resource)
    with dg.build_resources({"landing": resource}) as built:
        assert built.landing.load_pseudonym_key() == SECRET.encode()


def test_the_raw_asset_suppresses_with_the_configured_key(tmp_path: Path) -> None:
    from pipelines.defs.assets.raw import build_raw_assets
    from pipelines.defs.resources import LandingResource, WarehouseResource
    from sources.ingest.schema import ensure_schema
    from sources.privacy.suppression import add_entries

    settings = load_settings(tmp_path, env={})
    settings.warehouse_path.parent.mkdir(parents=True)
    with duckdb.connect(str(settings.warehouse_path)) as con:  # what `crm360 erase` will do
        ensure_schema(con, [])
        add_entries(con, settings.load_pseudonym_key(), "email", ["anna@example.com"], "erasure-1")
    line = "{},1,S-001,2025-01-01T10:00:00+00:00,SKU-1,1,9.99,9.99,{}"
    rows = [line.format("T1", "ANNA@example.com"), line.format("T2", "bob@example.com")]
    write(settings.landing_dir / "pos" / "d1.csv", "\n".join([POS_HEADER + ",email", *rows]) + "\n")
    result = dg.materialize(
        build_raw_assets(),
        resources={
            "warehouse": WarehouseResource.from_settings(settings),
            "landing": LandingResource.from_settings(settings),
        },
        selection=[dg.AssetKey(["raw", "pos"])],
    )
    [meta] = [e.materialization.metadata for e in result.get_asset_materialization_events()]
    assert (meta["rows_read"].value, meta["rows_loaded"].value, meta["rows_suppressed"].value) == (2, 1, 1)


def test_the_run_summary_counts_suppressed_rows_and_reads_an_old_ledger(tmp_path: Path) -> None:
    from pipelines.defs.run_summary import RunSummary, landed_by_feed, print_summary
    from sources.ingest.schema import AUDIT_DDL

    settings = load_settings(tmp_path, env={})
    settings.warehouse_path.parent.mkdir(parents=True)
    old_ledger = AUDIT_DDL.split("-- Records dropped")[0]  # the ledger before rows_suppressed
    columns = "load_id, feed, source_file, content_hash, file_bytes, rows_read, rows_loaded, rows_quarantined"
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute(old_ledger)
        con.execute(
            f"INSERT INTO audit.load_ledger ({columns}, run_id, loaded_at) "
            "VALUES ('a', 'pos', 'f', 'h', 1, 5, 4, 1, 'r1', now())"
        )
    assert landed_by_feed(settings, "r1") == [("pos", 1, 5, 4, 1, 0)]
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute(AUDIT_DDL)
        con.execute(
            f"INSERT INTO audit.load_ledger ({columns}, rows_suppressed, run_id, loaded_at) "
            "VALUES ('b', 'pos', 'g', 'i', 1, 5, 2, 1, 2, 'r1', now())"
        )
    feeds = landed_by_feed(settings, "r1")
    assert feeds == [("pos", 2, 10, 6, 2, 2)]
    print_summary(RunSummary("r1", True, 1.0, feeds=feeds))
