"""Where dbt's time on one model goes: the model built bare, by dbt's own SQL replayed, and by dbt.

Run on a built warehouse (a bench run's, after the benchmark): each variant in turn, `repeat`
times, so that drift of a shared machine falls on all three alike. The differences say which part
of dbt costs what: replay minus bare is the shape of dbt's SQL (contract: an empty typed table
then INSERT; a transaction; the swap of the old table), dbt minus replay is dbt itself (process
start, parsing, the relation cache, its connection's checkpoint).

    python -m pipelines.bench.model_profile --warehouse W --model fct_web_events --repeat 2
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import click

from pipelines.config import DBT_PROJECT_DIR, Settings, load_settings
from pipelines.defs.dbt_project import DBT_EXECUTABLE, ensure_manifest
from sources.lib.duck import open_warehouse


def _relation(node: dict[str, Any]) -> str:
    return f'"{node["schema"]}"."{node["alias"]}"'


def build_bare(warehouse: Path, node: dict[str, Any], compiled: str, settings: Settings) -> float:
    """CREATE OR REPLACE TABLE ... AS the compiled SQL, as the bare_sql reference does; with close."""
    t0 = time.perf_counter()
    con = open_warehouse(warehouse, settings.duckdb_memory_limit, settings.duckdb_threads)
    try:
        con.execute(f"CREATE OR REPLACE TABLE {_relation(node)} AS\n{compiled}")
    finally:
        con.close()  # the checkpoint at close belongs to the build, as it does inside dbt
    return time.perf_counter() - t0


def build_dbt(warehouse: Path, node: dict[str, Any], settings: Settings, work: Path) -> dict[str, Any]:
    """`dbt run -s <model>` (full refresh for incremental models, as in a first build)."""
    env = {**os.environ, "CRM360_WAREHOUSE": str(warehouse),
           "CRM360_DUCKDB_MEMORY_LIMIT": settings.duckdb_memory_limit}  # fmt: skip
    cmd = [str(DBT_EXECUTABLE), "run", "--quiet", "-s", node["name"],
           "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
           "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
           "--vars", json.dumps(settings.kpi.dbt_vars())]  # fmt: skip
    if node["config"]["materialized"] == "incremental":
        cmd.append("--full-refresh")
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"dbt run -s {node['name']} failed:\n{proc.stdout[-3000:]}")
    results = json.loads((work / "target" / "run_results.json").read_text())
    (result,) = [r for r in results["results"] if r["unique_id"] == node["unique_id"]]
    # What dbt compiled (a full build) and the statement it ran (contract DDL + INSERT).
    files = [
        work / "target" / kind / node["package_name"] / node["original_file_path"]
        for kind in ("compiled", "run")
    ]
    return {"wall": wall, "elapsed": results["elapsed_time"], "model": result["execution_time"],
            "compiled": files[0].read_text(), "run_sql": files[1].read_text()}  # fmt: skip


def replay(warehouse: Path, node: dict[str, Any], run_sql: str, settings: Settings) -> float:
    """dbt's main statement for the model (from target/run), in a transaction, then the swap."""
    tmp = f'"{node["schema"]}"."{node["alias"]}__dbt_tmp"'
    t0 = time.perf_counter()
    con = open_warehouse(warehouse, settings.duckdb_memory_limit, settings.duckdb_threads)
    try:
        con.execute(f"DROP TABLE IF EXISTS {tmp}")
        con.execute("BEGIN")
        con.execute(run_sql)
        con.execute(f"DROP TABLE IF EXISTS {_relation(node)} CASCADE")
        con.execute(f'ALTER TABLE {tmp} RENAME TO "{node["alias"]}"')
        con.execute("COMMIT")
    finally:
        con.close()
    return time.perf_counter() - t0


def profile_model(
    warehouse: Path, node: dict[str, Any], settings: Settings, work: Path, repeat: int
) -> list[dict[str, float]]:
    """Seconds of each variant per round; each round starts with another variant (cache warmth)."""
    first = build_dbt(warehouse, node, settings, work)  # also gives dbt's SQL for the other two
    compiled, run_sql = first.pop("compiled"), first.pop("run_sql")
    variants = {
        "dbt": lambda: build_dbt(warehouse, node, settings, work),
        "bare": lambda: build_bare(warehouse, node, compiled, settings),
        "replay": lambda: replay(warehouse, node, run_sql, settings),
    }
    order = list(variants)
    rounds = []
    for i in range(repeat):
        times: dict[str, float] = {}
        for v in order[i % 3 :] + order[: i % 3]:
            got = first if (i, v) == (0, "dbt") else variants[v]()
            if isinstance(got, dict):
                times.update({f"dbt_{k}": got[k] for k in ("wall", "elapsed", "model")})
            else:
                times[v] = got
        rounds.append(times)
        click.echo(f"{node['name']}: " + ", ".join(f"{k} {v:.1f} s" for k, v in times.items()))
    return rounds


def profile(warehouse: Path, models: list[str], repeat: int, work: Path) -> dict[str, Any]:
    """Per model: the rounds of profile_model, in the order they ran."""
    settings = load_settings(data_dir=warehouse.parent.parent)
    manifest = json.loads(ensure_manifest().read_text())
    by_name = {n["name"]: n for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    return {name: profile_model(warehouse, by_name[name], settings, work / "dbt", repeat) for name in models}


@click.command()
@click.option("--warehouse", type=click.Path(exists=True, path_type=Path), required=True)
@click.option("--model", "models", multiple=True, required=True)
@click.option("--repeat", default=2, show_default=True)
@click.option("--work", type=click.Path(path_type=Path), default=None, help="default: beside the warehouse")
@click.option("--out", type=click.Path(path_type=Path), default=None)
def main(warehouse: Path, models: tuple[str, ...], repeat: int, work: Path | None, out: Path | None) -> None:
    """Build each model three ways, `repeat` rounds, and print and save the seconds."""
    result = profile(warehouse, list(models), repeat, work or warehouse.parent / "model_profile")
    if out:
        out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
