"""Test helpers for the Spark engine: the state a write killed mid-table leaves in Spark's catalog."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_SQL = """
import json, sys
from pathlib import Path
from pipelines.spark.session import local_session
spark = local_session(Path(sys.argv[1]))
for statement in sys.argv[2:]:
    rows = spark.sql(statement).collect()
print(json.dumps([row.asDict() for row in rows], default=str))
spark.stop()
"""


def spark_sql(folder: Path, *statements: str) -> list[dict]:
    """Run `statements` on the Spark catalog in `folder` (in a process of its own: one JVM per
    metastore); the last one's rows."""
    done = subprocess.run(
        [sys.executable, "-c", _SQL, str(folder), *statements], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.splitlines()[-1])


def leave_killed_writes(folder: Path, tables: list[str]) -> None:
    """What a write killed after dropping each `schema.table` leaves: the catalog without the table,
    and half-written files in the table's folder. Spark runs in its own process (one JVM per metastore)."""
    spark_sql(folder, *(f"drop table if exists {name}" for name in tables))
    for name in tables:
        schema, table = name.split(".")
        left = folder / "warehouse" / f"{schema}.db" / table
        left.mkdir(parents=True)
        (left / "part-00000-killed.snappy.parquet").write_bytes(b"PAR1 half written")


def run_step(module: str, *args: str, ok: tuple[int, ...] = (0,)) -> subprocess.CompletedProcess:
    """A Spark step in its own process, as the Spark build runs it; fails the test on another exit."""
    done = subprocess.run([sys.executable, "-m", module, *args], capture_output=True, text=True)
    assert done.returncode in ok, done.stderr[-4000:]
    return done


def tables_in_spark(root: Path, statements: list[str], tables: list[str]) -> dict[str, Path]:
    """A DuckDB file made by `statements` (schemas core and marts exist) and a fresh Spark catalog
    with `tables` copied into it by the mirror step."""
    import duckdb

    warehouse, folder = root / "w.duckdb", root / "spark"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("set TimeZone = 'UTC'; create schema core; create schema marts")
        for sql in statements:
            con.execute(sql)
    run_step("pipelines.spark.mirror", "--warehouse", str(warehouse), "--spark-dir", str(folder), *tables)
    return {"warehouse": warehouse, "folder": folder}
