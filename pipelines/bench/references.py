"""Reference timings: DuckDB scanning every landing file once (the floor), and the dbt SQL run bare."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

import duckdb

from pipelines.config import DBT_PROJECT_DIR, Settings
from pipelines.defs.dbt_project import DBT_EXECUTABLE, ensure_manifest
from sources.contracts import FeedContract
from sources.feeds import FEEDS
from sources.ingest.files import LandingFile, discover, read_header
from sources.lib.duck import MEMORY_LIMIT, open_warehouse


def _csv_sql(header: list[str]) -> str:
    # The loader's reader settings (sources/ingest/readers.py) with the header's columns given, so
    # DuckDB does not sniff each file (sniffing 365 files cost 25 s of a 26 s scan at 20k customers).
    columns = "{" + ", ".join(f"'{h.replace(chr(39), chr(39) * 2)}': 'VARCHAR'" for h in header) + "}"
    return (
        f"SELECT count(*) FROM read_csv($files, columns={columns}, header=true, auto_detect=false, "
        "delim=',', quote='\"', escape='\"', null_padding=true, ignore_errors=true, strict_mode=false)"
    )


def _jsonl_sql(contract: FeedContract) -> str:
    columns = json.dumps(dict.fromkeys(contract.column_names, "VARCHAR"))
    return (
        f"SELECT count(*) FROM read_json($files, format='newline_delimited', columns={columns}, "
        "ignore_errors=true)"
    )


def scan_groups(landing: Path, contract: FeedContract) -> list[tuple[str | None, list[LandingFile]]]:
    """(SQL, files) per group one query can read: JSON lines together, CSV files by header line.

    Empty CSV files (no header) are grouped under None: counted as read, with no query to run.
    """
    groups: dict[str | None, list[LandingFile]] = {}
    for lf in discover(landing, contract):
        if lf.refused:  # the loader never reads it either
            continue
        if lf.fmt == "jsonl":
            key: str | None = _jsonl_sql(contract)
        else:
            raw = read_header(lf.path, lf.compressed).decode("utf-8-sig", "replace")
            key = _csv_sql([h.strip() for h in raw.split(",")]) if raw.strip() else None
        groups.setdefault(key, []).append(lf)
    return list(groups.items())


def floor_scan(landing: Path, memory_limit: str = MEMORY_LIMIT) -> dict[str, Any]:
    """Seconds for DuckDB to read every landing file once (count only), per feed and in total."""
    con = duckdb.connect()
    con.execute(f"SET memory_limit = '{memory_limit}'")
    feeds: dict[str, dict[str, Any]] = {}
    start = time.perf_counter()
    try:
        for name, contract in FEEDS.items():
            t0 = time.perf_counter()
            files = rows = 0
            for sql, group in scan_groups(landing, contract):
                if sql is not None:
                    rows += con.execute(sql, {"files": [str(f.path) for f in group]}).fetchone()[0]
                files += len(group)
            feeds[name] = {"files": files, "rows": rows, "seconds": time.perf_counter() - t0}
    finally:
        con.close()
    return {"seconds": time.perf_counter() - start, "feeds": feeds}


def copy_warehouse(src: Path, dest_dir: Path) -> Path:
    """Copy the (closed) warehouse file under its own name: dbt's relation names carry the file stem."""
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / src.name
    shutil.copyfile(src, dest)
    wal = src.with_name(src.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, dest.with_name(dest.name + ".wal"))
    return dest


def _models(manifest: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {uid: n for uid, n in manifest["nodes"].items() if n["resource_type"] == "model"}


def drop_dbt_relations(warehouse: Path, manifest: dict[str, Any]) -> int:
    """Drop every relation a dbt model builds; raw, audit and the Python assets' tables stay."""
    con = duckdb.connect(str(warehouse))
    dropped = 0
    try:
        existing = dict(
            con.execute(
                "SELECT schema_name || '.' || table_name, 'TABLE' FROM duckdb_tables() "
                "UNION ALL SELECT schema_name || '.' || view_name, 'VIEW' FROM duckdb_views() "
                "WHERE NOT internal"
            ).fetchall()
        )
        for node in _models(manifest).values():
            name = f"{node['schema']}.{node['alias']}"
            if name in existing:
                con.execute(f'DROP {existing[name]} "{node["schema"]}"."{node["alias"]}" CASCADE')
                dropped += 1
    finally:
        con.close()
    return dropped


def compile_project(warehouse: Path, work: Path, settings: Settings) -> dict[str, Any]:
    """`dbt compile` against the stripped copy (so incremental models compile as full builds)."""
    env = {
        **os.environ,
        "CRM360_WAREHOUSE": str(warehouse),
        "CRM360_DUCKDB_MEMORY_LIMIT": settings.duckdb_memory_limit,
    }
    cmd = [
        str(DBT_EXECUTABLE), "compile", "--quiet",
        "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
        "--vars", json.dumps(settings.kpi.dbt_vars()),
    ]  # fmt: skip
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"dbt compile failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return json.loads((work / "target" / "manifest.json").read_text())


def model_order(manifest: dict[str, Any]) -> list[str]:
    """Model ids in DAG order (parents first); ties by id, so the order is the same every run."""
    models = _models(manifest)
    graph = {uid: sorted(p for p in n["depends_on"]["nodes"] if p in models) for uid, n in models.items()}
    sorter = TopologicalSorter(dict(sorted(graph.items())))
    return list(sorter.static_order())


def layer_of(node: dict[str, Any]) -> str:
    """staging / intermediate / core / marts: the model's schema (dbt_project.yml names them so)."""
    return node["schema"]


def execute_bare(warehouse: Path, manifest: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Run every model's compiled SQL as CREATE OR REPLACE TABLE/VIEW, then every data test as a count."""
    models = _models(manifest)
    tests = sorted(uid for uid, n in manifest["nodes"].items() if n["resource_type"] == "test")
    con = open_warehouse(warehouse, settings.duckdb_memory_limit, settings.duckdb_threads)
    layers: dict[str, float] = {}
    per_model: dict[str, float] = {}
    failing_tests = 0
    try:
        t_models = time.perf_counter()
        for uid in model_order(manifest):
            node = models[uid]
            kind = "VIEW" if node["config"]["materialized"] == "view" else "TABLE"
            if node["config"]["materialized"] == "ephemeral":
                continue  # inlined as a CTE in the compiled SQL of its children
            t0 = time.perf_counter()
            con.execute(f'CREATE SCHEMA IF NOT EXISTS "{node["schema"]}"')
            con.execute(
                f'CREATE OR REPLACE {kind} "{node["schema"]}"."{node["alias"]}" AS\n{node["compiled_code"]}'
            )
            per_model[uid] = time.perf_counter() - t0
            layers[layer_of(node)] = layers.get(layer_of(node), 0.0) + per_model[uid]
        models_s = time.perf_counter() - t_models
        t_tests = time.perf_counter()
        for uid in tests:
            sql = manifest["nodes"][uid]["compiled_code"]
            failing_tests += con.execute(f"SELECT count(*) > 0 FROM (\n{sql}\n) t").fetchone()[0]
        tests_s = time.perf_counter() - t_tests
    finally:
        con.close()
    return {
        "seconds": models_s + tests_s,
        "models_seconds": models_s,
        "tests_seconds": tests_s,
        "models": len(models),
        "tests": len(tests),
        "tests_with_failing_rows": int(failing_tests),
        "seconds_by_layer": layers,
        "model_seconds": per_model,
    }


def bare_sql(warehouse_copy: Path, work: Path, settings: Settings) -> dict[str, Any]:
    """The dbt project's SQL executed directly on a copy of the built warehouse, timed without dbt.

    `warehouse_copy` is rebuilt in place (its dbt relations dropped, then re-created): pass a copy.
    It keeps raw, audit, the identity tables and the Python marts (CLV, forecast), which dbt reads
    as sources; identity, CLV and forecast themselves are excluded from both sides of the ratio
    (they are Python either way). dbt's unit tests are not run: `dbt compile` emits no SQL for
    them, and they run on fixture rows, so their cost on the dbt side is dbt's per-test overhead.
    """
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    parsed = json.loads(ensure_manifest().read_text())
    dropped = drop_dbt_relations(warehouse_copy, parsed)
    t0 = time.perf_counter()
    manifest = compile_project(warehouse_copy, work, settings)
    compile_s = time.perf_counter() - t0
    result = execute_bare(warehouse_copy, manifest, settings)
    result.update(relations_dropped=dropped, dbt_compile_seconds=compile_s)
    return result
