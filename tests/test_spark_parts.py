"""The Spark engine's pure parts, without Spark: the session's settings, dbt's command, the comparison."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
import yaml

from pipelines.config import DBT_PROJECT_DIR, Settings, load_settings
from pipelines.spark.compare import compare_table
from pipelines.spark.dbt import SparkDbt, dbt_vars, model_tables, source_tables
from pipelines.spark.raw_sync import last_erasure, loads_to_copy
from pipelines.spark.session import session_conf, spark_dir
from pipelines.spark.settings import SPARK_DIR_ENV
from pipelines.spark.unit_tests import INCREMENTAL_TAG, unit_test_args
from sources.ingest.revisions import load_revisions, record_revisions
from sources.privacy.suppression import PRIVACY_DDL

ENV_VAR = re.compile(r"\{\{\s*env_var\('([A-Z0-9_]+)'(?:,\s*'([^']*)')?\)\s*\}\}")


def _render(text: str, env: dict[str, str]) -> str:
    """profiles.yml's env_var() calls, as dbt renders them."""
    return ENV_VAR.sub(lambda m: env.get(m.group(1), m.group(2) or ""), text)


def test_dbt_spark_target_opens_the_session_crm360_configures(tmp_path: Path) -> None:
    """profiles.yml, rendered with the environment the pipeline gives dbt, is session_conf()."""
    profile = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text())["crm360"]["outputs"]["spark"]
    assert (profile["type"], profile["method"]) == ("spark", "session")
    given = {
        "CRM360_SPARK_MASTER": "local[2]",
        "CRM360_SPARK_DRIVER_MEMORY": "3g",
        "CRM360_SPARK_SHUFFLE_PARTITIONS": "8",
    }
    for env in ({}, given):
        settings = load_settings(tmp_path, env=env)
        dbt_env = _spark_dbt(settings).environ({})
        rendered = {k: _render(str(v), dbt_env) for k, v in profile["server_side_parameters"].items()}
        assert rendered == session_conf(spark_dir(settings.data_dir), settings.spark)
    assert (
        session_conf(tmp_path, load_settings(tmp_path, env=given).spark)["spark.sql.shuffle.partitions"]
        == "8"
    )


def test_metastore_and_tables_live_in_the_data_dir(tmp_path: Path) -> None:
    conf = session_conf(spark_dir(tmp_path))
    assert conf["spark.sql.warehouse.dir"] == str(tmp_path / "spark" / "warehouse")
    assert str(tmp_path / "spark" / "metastore_db") in conf["spark.hadoop.javax.jdo.option.ConnectionURL"]
    assert conf["spark.sql.session.timeZone"] == "UTC"


def _spark_dbt(settings: Settings) -> SparkDbt:
    return SparkDbt(
        DBT_PROJECT_DIR,
        settings.data_dir,
        settings.spark,
        dbt_vars(settings.kpi, settings.customer_ref_patterns),
    )


def test_dbt_command_passes_the_runs_vars_and_own_folders(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, env={"CRM360_CHURN_DAYS": "123"})
    command = _spark_dbt(settings).command("run", tmp_path / "t", ["staging"])
    assert command[1:4] == ["run", "--target", "spark"]
    assert json.loads(command[command.index("--vars") + 1])["churn_days"] == 123
    assert command[command.index("--target-path") + 1] == str(tmp_path / "t")
    assert command[-2:] == ["--select", "staging"] and "unit_test" not in command
    assert _spark_dbt(settings).command("build", tmp_path)[-2:] == ["--exclude-resource-type", "unit_test"]
    assert _spark_dbt(settings).environ({})[SPARK_DIR_ENV] == str(tmp_path.resolve() / "spark")


def test_tables_come_from_the_manifest(tmp_path: Path) -> None:
    manifest = {
        "sources": {"s1": {"schema": "raw", "identifier": "pos", "name": "pos"}},
        "nodes": {
            "m1": {
                "resource_type": "model",
                "schema": "core",
                "alias": "dim_x",
                "name": "dim_x",
                "config": {},
            },
            "m2": {
                "resource_type": "model",
                "schema": "marts",
                "alias": None,
                "name": "k",
                "config": {"enabled": False},
            },
            "t1": {"resource_type": "test", "schema": "core", "alias": "t", "name": "t", "config": {}},
        },
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    assert source_tables(tmp_path) == ["raw.pos"]
    assert model_tables(tmp_path) == ["core.dim_x"]


def _warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema core")
        con.execute(
            "create table core.t as select * from (values"
            " (1, 'a', 0.1 + 0.2, timestamptz '2026-01-01 10:00:00+01'),"
            " (2, 'b', 1.5, timestamptz '2026-01-02 00:00:00+00'),"
            " (2, 'b', 1.5, timestamptz '2026-01-02 00:00:00+00'))"
            " as v(id, code, amount, seen_at)"
        )
    return path


def _spark_like_export(warehouse: Path, folder: Path, select: str) -> None:
    """A Parquet folder as Spark writes one (part files), from a query on the warehouse."""
    (folder / "core.t").mkdir(parents=True)
    with duckdb.connect(str(warehouse)) as con:
        con.execute(f"copy ({select}) to '{folder / 'core.t' / 'part-0.parquet'}' (format parquet)")


def test_compare_finds_equal_tables_equal(tmp_path: Path) -> None:
    warehouse = _warehouse(tmp_path)
    # another engine's float sum and a timestamp without zone holding the UTC time: still equal
    _spark_like_export(
        warehouse,
        tmp_path / "x",
        "select id, code, cast(amount as double) + 1e-12 as amount,"
        " timezone('UTC', seen_at) as seen_at from core.t",
    )
    diff = compare_table(warehouse, "core.t", tmp_path / "x")
    assert diff.equal and (diff.duckdb_rows, diff.spark_rows) == (3, 3)


def test_compare_finds_a_changed_row_a_lost_duplicate_and_a_missing_column(tmp_path: Path) -> None:
    warehouse = _warehouse(tmp_path)
    _spark_like_export(
        warehouse,
        tmp_path / "x",
        "select distinct id, case when id = 1 then 'z' else code end as code, amount, seen_at from core.t",
    )
    diff = compare_table(warehouse, "core.t", tmp_path / "x")
    assert not diff.equal and (diff.only_duckdb, diff.only_spark) == (2, 1)
    _spark_like_export(warehouse, tmp_path / "y", "select id, code, seen_at from core.t")
    diff = compare_table(warehouse, "core.t", tmp_path / "y")
    assert not diff.equal and diff.missing_columns == ("amount",)


def test_compare_names_a_table_the_duckdb_file_lacks(tmp_path: Path) -> None:
    warehouse = _warehouse(tmp_path)
    _spark_like_export(warehouse, tmp_path / "x", "select * from core.t")
    (tmp_path / "x" / "core.t").rename(tmp_path / "x" / "core.gone")
    with pytest.raises(ValueError, match=r"core\.gone is not in the DuckDB file .*w\.duckdb"):
        compare_table(warehouse, "core.gone", tmp_path / "x")


def test_the_last_erasure_is_read_from_the_warehouses_log(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        assert last_erasure(con) is None  # a warehouse without the log
        con.execute(PRIVACY_DDL)
        assert last_erasure(con) is None
        for at in ("2026-03-01 10:00:00+02", "2026-03-01 09:30:00+00", "2026-02-01 00:00:00+00"):
            con.execute("insert into audit.erasure_log values (?, 's', 'email', 'k', ?, 1, '{}')", [at, at])
        assert last_erasure(con) == datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


def test_raw_sync_copies_the_loads_spark_lacks_or_holds_wrongly() -> None:
    ledger = {"L1": 10, "L2": 5, "L3": 7}
    assert loads_to_copy(ledger, {}) == ["L1", "L2", "L3"]
    assert loads_to_copy(ledger, {"L1": 10, "L2": 5, "L3": 7}) == []
    # half written (a crash), doubled (a retry that appended), and one Spark has but the ledger not
    assert loads_to_copy(ledger, {"L1": 4, "L2": 10, "L3": 7, "L9": 3}) == ["L1", "L2"]


def test_raw_sync_copies_a_load_revised_since_its_copy() -> None:
    """An erasure changes a load's rows in place: same count, a new revision, copied again once."""
    ledger, in_spark = {"L1": 10, "L2": 5}, {"L1": 10, "L2": 5}
    assert loads_to_copy(ledger, in_spark, {"L2": 1}, {}) == ["L2"]
    assert loads_to_copy(ledger, in_spark, {"L2": 1}, {"L2": 1}) == []
    assert loads_to_copy(ledger, in_spark, {"L2": 2}, {"L2": 1}) == ["L2"]


def test_an_erasure_records_the_revision_of_each_load_it_touched() -> None:
    with duckdb.connect() as con:
        con.execute("create table lines as select * from (values ('L1'), ('L1'), ('L2')) t(load_id)")
        assert record_revisions(con, "pos", "select load_id from lines", "erasure") == 2
        assert record_revisions(con, "pos", "select load_id from lines where load_id = 'L2'", "erasure") == 1
        assert load_revisions(con, "pos") == {"L1": 1, "L2": 2}
        assert load_revisions(con, "web") == {}
    with duckdb.connect() as con:  # a warehouse no erasure has touched
        assert load_revisions(con, "pos") == {}


def test_compare_leaves_out_the_build_time_only(tmp_path: Path) -> None:
    warehouse = _warehouse(tmp_path)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("alter table core.t add column _built_at timestamp default now()")
    _spark_like_export(
        warehouse,
        tmp_path / "x",
        "select id, code, amount, seen_at, now() + interval 1 day as _built_at from core.t",
    )
    assert compare_table(warehouse, "core.t", tmp_path / "x").equal
    _spark_like_export(
        warehouse, tmp_path / "y", "select id, 'z' as code, amount, seen_at, _built_at from core.t"
    )
    assert not compare_table(warehouse, "core.t", tmp_path / "y").equal


def test_spark_unit_tests_leave_out_only_the_incremental_branch(tmp_path: Path) -> None:
    args = unit_test_args(_spark_dbt(load_settings(tmp_path, env={})), tmp_path / "t")
    assert args[:3] == ["test", "--target", "spark"] and "--exclude-resource-type" not in args
    assert args[args.index("--select") + 1] == "test_type:unit"
    assert args[-2:] == ["--exclude", f"tag:{INCREMENTAL_TAG}"]


def test_the_incremental_branch_tag_marks_exactly_the_incremental_unit_tests() -> None:
    """A unit test left out on Spark must be one of the incremental branch (is_incremental: true)."""
    tagged, incremental = set(), set()
    for path in (DBT_PROJECT_DIR / "models").rglob("*.yml"):
        for test in yaml.safe_load(path.read_text()).get("unit_tests") or []:
            if INCREMENTAL_TAG in test.get("config", {}).get("tags", []):
                tagged.add(test["name"])
            if test.get("overrides", {}).get("macros", {}).get("is_incremental") is True:
                incremental.add(test["name"])
    assert tagged == incremental and len(tagged) >= 5
