"""The Dagster glue's own logic, called directly (no Dagster run): dbt vars and parse state, the dbt
translator, and the landing sensor's snapshots."""

from __future__ import annotations

import json
import os
from pathlib import Path

import dagster as dg
import pytest

from pipelines.config import DBT_PROJECT_DIR
from pipelines.defs.dbt_project import DBT_EXECUTABLE
from pipelines.defs.kpi_resource import KpiResource
from pipelines.defs.resources import DbtResource
from sources.feeds import FEEDS
from tests.ingest_helpers import POS_HEADER, pos_line, write

GATE = dg.AssetKey(["core", "quality_gate"])


def _dbt_resource(vars_json: str) -> DbtResource:
    return DbtResource(
        project_dir=str(DBT_PROJECT_DIR), dbt_executable=str(DBT_EXECUTABLE), vars_json=vars_json
    )


# --- vars_args: the --vars of every dbt call of a run ---------------------------------------------


def test_vars_args_sends_the_kpi_settings_and_the_pipelines_own_vars() -> None:
    from pipelines.defs.assets.dbt import vars_args

    own = {"customer_ref_patterns": {"pos": {"account_id": "^ACC-"}}}
    flag, value = vars_args(KpiResource(churn_days=45, fcr_days=3), _dbt_resource(json.dumps(own)))
    sent = json.loads(value)
    assert flag == "--vars"
    assert sent["churn_days"] == 45 and sent["fcr_days"] == 3
    assert sent["customer_ref_patterns"] == own["customer_ref_patterns"]
    assert set(sent) == {*KpiResource().settings().dbt_vars(), "customer_ref_patterns"}


def test_vars_args_is_the_same_text_for_the_same_settings() -> None:
    """dbt keeps its partial parse only while the vars text is unchanged: keys are sorted, so two
    resources built in a different field order send byte-identical vars."""
    from pipelines.defs.assets.dbt import vars_args

    a = vars_args(KpiResource(lapsed_days=200), _dbt_resource('{"zeta": 1, "alpha": {"b": 2, "a": 1}}'))
    b = vars_args(KpiResource(lapsed_days=200), _dbt_resource('{"alpha": {"a": 1, "b": 2}, "zeta": 1}'))
    assert a == b
    keys = list(json.loads(a[1]))
    assert keys == sorted(keys)
    assert a[1] == json.dumps(json.loads(a[1]), sort_keys=True)


def test_vars_args_without_the_pipelines_dbt_resource_sends_the_kpi_vars_only() -> None:
    from pipelines.defs.assets.dbt import vars_args

    _, value = vars_args(KpiResource())
    assert json.loads(value) == KpiResource().settings().dbt_vars()


# --- keep_parse_state: the next dbt call starts from this call's parse state ----------------------


@pytest.fixture
def target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A dbt target folder standing in for dbt_project/target (MANIFEST_PATH's folder)."""
    import pipelines.defs.assets.dbt as dbt_assets

    folder = tmp_path / "target"
    folder.mkdir()
    monkeypatch.setattr(dbt_assets, "MANIFEST_PATH", folder / "manifest.json")
    return folder


def _invocation(target: Path, name: str, state: bytes | None = None) -> Path:
    folder = target / name
    folder.mkdir()
    (folder / "run_results.json").write_text("{}")
    if state is not None:
        (folder / "partial_parse.msgpack").write_bytes(state)
    return folder


def test_keep_parse_state_replaces_the_projects_state_by_rename(target: Path) -> None:
    from pipelines.defs.assets.dbt import keep_parse_state

    shared = target / "partial_parse.msgpack"
    shared.write_bytes(b"state of an old dbt parse")
    before = shared.stat().st_ino
    keep_parse_state(_invocation(target, "dbt_staging-abc-123", b"state of this run"))
    assert shared.read_bytes() == b"state of this run"
    # a new inode: renamed over the old file, never rewritten in place where a reader could see half
    assert shared.stat().st_ino != before
    assert not list(target.glob("*.tmp"))


def test_keep_parse_state_prunes_older_folders_of_the_same_step_only(target: Path) -> None:
    from pipelines.defs.assets.dbt import keep_parse_state

    _invocation(target, "dbt_staging-aaa-111", b"older")
    _invocation(target, "dbt_marts-bbb-222", b"another step")
    (target / "dbt_staging-notes.txt").write_text("a file, not an invocation folder")
    current = _invocation(target, "dbt_staging-ccc-333", b"latest")
    keep_parse_state(current)
    assert sorted(p.name for p in target.iterdir()) == [
        "dbt_marts-bbb-222",
        "dbt_staging-ccc-333",
        "dbt_staging-notes.txt",
        "partial_parse.msgpack",
    ]
    assert (current / "partial_parse.msgpack").read_bytes() == b"latest"


def test_keep_parse_state_without_a_state_file_keeps_the_old_one(target: Path) -> None:
    from pipelines.defs.assets.dbt import keep_parse_state

    (target / "partial_parse.msgpack").write_bytes(b"old")
    keep_parse_state(_invocation(target, "dbt_marts-aaa-111"))
    assert (target / "partial_parse.msgpack").read_bytes() == b"old"


def test_keep_parse_state_prunes_nothing_outside_the_projects_target(target: Path, tmp_path: Path) -> None:
    from pipelines.defs.assets.dbt import keep_parse_state

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    old = _invocation(elsewhere, "dbt_staging-aaa-111", b"old")
    keep_parse_state(_invocation(elsewhere, "dbt_staging-bbb-222", b"new"))
    assert old.is_dir()
    assert (target / "partial_parse.msgpack").read_bytes() == b"new"


# --- the dbt translator: keys [schema, name], groups by layer, marts behind the gate --------------


def _props(resource_type: str, schema: str, name: str, parents: tuple[str, ...] = ()) -> dict:
    unique_id = f"{resource_type}.crm360.{schema}.{name}"
    return {
        "unique_id": unique_id,
        "resource_type": resource_type,
        "schema": schema,
        "name": name,
        "source_name": schema,
        "depends_on": {"nodes": list(parents)},
        "config": {"materialized": "table"},
        "meta": {},
        "tags": [],
        "description": "",
        "fqn": ["crm360", schema, name],
        "columns": {},
    }


@pytest.fixture(scope="module")
def manifest() -> dict:
    """A minimal manifest: source raw.pos -> staging -> core -> a marts model and a marts seed."""
    source = _props("source", "raw", "pos")
    stg = _props("model", "staging", "stg_pos__transaction_lines", (source["unique_id"],))
    fct = _props("model", "core", "fct_order_lines", (stg["unique_id"],))
    mart = _props("model", "marts", "customer_360", (fct["unique_id"],))
    seed = _props("seed", "marts", "rfm_segment_names")
    return {
        "nodes": {n["unique_id"]: n for n in (stg, fct, mart, seed)},
        "sources": {source["unique_id"]: source},
        "exposures": {},
        "metrics": {},
        "metadata": {"adapter_type": "duckdb"},
    }


def test_translator_keys_are_schema_and_name_and_groups_the_schema(manifest: dict) -> None:
    from pipelines.defs.dbt_project import translator

    keys = {
        uid: (translator.get_asset_key(p).path, translator.get_group_name(p))
        for uid, p in {**manifest["sources"], **manifest["nodes"]}.items()
    }
    assert keys == {
        "source.crm360.raw.pos": (["raw", "pos"], "raw"),
        "model.crm360.staging.stg_pos__transaction_lines": (
            ["staging", "stg_pos__transaction_lines"],
            "staging",
        ),
        "model.crm360.core.fct_order_lines": (["core", "fct_order_lines"], "core"),
        "model.crm360.marts.customer_360": (["marts", "customer_360"], "marts"),
        "seed.crm360.marts.rfm_segment_names": (["marts", "rfm_segment_names"], "marts"),
    }


def test_only_mart_models_wait_behind_the_quality_gate(manifest: dict) -> None:
    from pipelines.defs.dbt_project import Crm360DbtTranslator

    translator = Crm360DbtTranslator()  # a fresh one: get_asset_spec memoizes per manifest

    def deps(unique_id: str) -> set[dg.AssetKey]:
        return {d.asset_key for d in translator.get_asset_spec(manifest, unique_id, None).deps}

    assert deps("model.crm360.marts.customer_360") == {dg.AssetKey(["core", "fct_order_lines"]), GATE}
    assert deps("model.crm360.core.fct_order_lines") == {
        dg.AssetKey(["staging", "stg_pos__transaction_lines"])
    }
    assert deps("model.crm360.staging.stg_pos__transaction_lines") == {dg.AssetKey(["raw", "pos"])}
    assert GATE not in deps("seed.crm360.marts.rfm_segment_names")  # a seed is data, not a KPI built
    spec = translator.get_asset_spec(manifest, "model.crm360.marts.customer_360", None)
    assert spec.key == dg.AssetKey(["marts", "customer_360"]) and spec.group_name == "marts"


# --- the landing sensor: what counts as a new file ------------------------------------------------


def test_landing_snapshot_names_every_feed_and_each_files_size_and_mtime(landing: Path) -> None:
    from pipelines.defs.sensors import landing_snapshot

    assert landing_snapshot(landing) == {name: [] for name in FEEDS}
    path = write(landing / "pos" / "d1.csv", f"{POS_HEADER}\n{pos_line('T1')}\n")
    os.utime(path, ns=(1_700_000_000_000_000_000, 1_700_000_000_700_000_000))
    snapshot = landing_snapshot(landing)
    # nanoseconds: a file re-sent within the same second is a changed file
    assert snapshot["pos"] == [f"pos/d1.csv:{path.stat().st_size}:1700000000700000000"]
    assert all(snapshot[name] == [] for name in FEEDS if name != "pos")


def test_a_file_with_a_new_size_or_mtime_is_new(landing: Path) -> None:
    from pipelines.defs.sensors import landing_snapshot, new_files

    path = write(landing / "pos" / "d1.csv", f"{POS_HEADER}\n{pos_line('T1')}\n")
    os.utime(path, (1_700_000_000, 1_700_000_000))
    first = landing_snapshot(landing)
    assert new_files({}, first) == {"pos": first["pos"]}
    assert new_files(first, landing_snapshot(landing)) == {}
    os.utime(path, (1_700_000_060, 1_700_000_060))  # rewritten with the same size
    touched = landing_snapshot(landing)
    assert new_files(first, touched) == {"pos": [f"pos/d1.csv:{path.stat().st_size}:1700000060000000000"]}
    write(path, f"{POS_HEADER}\n{pos_line('T1')}\n{pos_line('T2')}\n")
    os.utime(path, (1_700_000_060, 1_700_000_060))  # grown, same mtime
    grown = landing_snapshot(landing)
    assert new_files(touched, grown) == {"pos": [f"pos/d1.csv:{path.stat().st_size}:1700000060000000000"]}


def test_a_deleted_file_is_not_new_and_other_feeds_stay_quiet(landing: Path) -> None:
    from pipelines.defs.sensors import landing_snapshot, new_files

    old = write(landing / "pos" / "d1.csv", f"{POS_HEADER}\n")
    before = landing_snapshot(landing)
    old.unlink()
    write(landing / "web" / "d1.jsonl", "{}\n")
    after = landing_snapshot(landing)
    assert new_files(before, after) == {"web": after["web"]}


def test_a_symlink_is_listed_with_its_own_size_not_its_targets(landing: Path) -> None:
    from pipelines.defs.sensors import landing_snapshot

    (landing / "pos").mkdir()
    link = landing / "pos" / "p.csv"
    os.symlink("/etc/passwd", link)
    os.utime(link, (1_600_000_000, 1_600_000_000), follow_symlinks=False)
    [entry] = landing_snapshot(landing)["pos"]
    # lstat: the link's length (of "/etc/passwd") and its own mtime, the target is never opened
    assert entry == f"pos/p.csv:{len('/etc/passwd')}:1600000000000000000"
    assert Path("/etc/passwd").stat().st_size != len("/etc/passwd")


def test_a_full_refresh_run_adds_the_flag_to_dbt_build() -> None:
    from pipelines.defs.assets.dbt import FULL_REFRESH_TAG, build_command
    from pipelines.defs.kpi_resource import KpiResource
    from pipelines.defs.resources import DbtResource

    dbt = DbtResource(project_dir=str(DBT_PROJECT_DIR), dbt_executable=str(DBT_EXECUTABLE), unit_tests=True)
    plain = build_command(KpiResource(), dbt, {})
    assert plain[:2] == ["build", "--vars"] and "--full-refresh" not in plain
    assert build_command(KpiResource(), dbt, {FULL_REFRESH_TAG: "true"}) == [*plain, "--full-refresh"]
    assert "--full-refresh" not in build_command(KpiResource(), dbt, {FULL_REFRESH_TAG: "false"})
