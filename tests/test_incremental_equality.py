"""Day-by-day runs equal a full rebuild: a population delivered a day at a time (with a late file, a re-sent
corrected file and a day without files) builds the same core and marts as all of it at once."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.config import load_settings
from pipelines.defs.runner import run_pipeline
from sources.dev.simulator import simulate

pytestmark = pytest.mark.integration

SIMULATION = {"customers": 300, "days": 6, "seed": 11}
FIRST_DAYS = 3
# Columns that differ by construction between two warehouses: run ids, load and build times, and key
# sequence numbers, which stable-key mapping assigns in the order records arrived.
UNCOMPARED = ("run_id", "_run_id", "created_run_id", "retired_run_id", "_loaded_at", "loaded_at",
              "observed_at", "_load_id", "load_id", "trained_at", "model", "valid_from", "valid_to",
              "key_seq", "key_since", "_built_at")  # fmt: skip
# Customer keys differ between the two warehouses too (the order records arrived decides them), so
# every customer_key is compared as its customer's canonical record (the smallest record id of its
# cluster in that warehouse's identity map) and every customer_sk as that record plus the version's
# first day. A fact left on a retired key, or on a customer's wrong version, then differs.
CANON = """
    CREATE OR REPLACE TEMP TABLE canon AS
    SELECT customer_key, min(source_system || ':' || source_record_id) AS canon
    FROM core.customer_identity_map GROUP BY customer_key;
    CREATE OR REPLACE TEMP TABLE canon_sk AS
    SELECT d.customer_sk, c.canon || '@' || d.valid_from AS canon
    FROM core.dim_customer d LEFT JOIN canon c USING (customer_key);
"""
MAPPED = {"customer_key": "canon", "customer_sk": "canon_sk"}
# Rows that exist by construction in one warehouse only: keys retired by a merge of a daily run.
ROW_FILTERS = {"core.identity_keys": "status = 'active'"}


def day_of(path: Path) -> str:
    """The landing day in a file's name (YYYY-MM-DD), or its month for monthly lists."""
    found = re.search(r"\d{4}-\d{2}-\d{2}", path.name) or re.search(r"\d{4}-\d{2}", path.name)
    assert found, path
    return found.group(0)


def deliver(files: list[Path], source: Path, landing: Path, upto: str, held: Path | None = None) -> int:
    """Copy every file of a day up to `upto` (a month file with its month) not yet delivered."""
    count = 0
    for f in files:
        if f == held or day_of(f) > upto[: len(day_of(f))]:
            continue
        target = landing / f.relative_to(source)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, target)
            count += 1
    return count


def partition(con: duckdb.DuckDBPyConnection) -> list[tuple[str, ...]]:
    rows = con.execute(
        "SELECT list(source_system || ':' || source_record_id) FROM core.customer_identity_map "
        "GROUP BY customer_key"
    ).fetchall()
    return sorted(tuple(sorted(r[0])) for r in rows)


def compared(column: str) -> bool:
    return column.lower() not in UNCOMPARED and not column.lower().endswith("_run_id")


def table_signatures(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int]]:
    """Per staging, core and mart table: rows and an order-independent hash of the compared columns
    (floating point to 9 significant digits: sums in another order differ in the last bits), with
    customer keys and versions canonicalised (CANON)."""
    con.execute(CANON)
    out = {}
    tables = con.execute(
        "SELECT table_schema, table_name FROM information_schema.tables "
        "WHERE table_schema IN ('staging', 'intermediate', 'core', 'marts')"
    ).fetchall()
    for schema, table in tables:
        cols = con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [schema, table],
        ).fetchall()
        exprs, joins = [], []
        for i, (c, ty) in enumerate(cols):
            if not compared(c):
                continue
            if c.lower() in MAPPED:
                joins.append(f'LEFT JOIN {MAPPED[c.lower()]} j{i} ON j{i}.{c.lower()} = t."{c}"')
                exprs.append(f"j{i}.canon")
            else:
                exprs.append(f"printf('%.9g', t.\"{c}\")" if ty in ("DOUBLE", "FLOAT") else f't."{c}"')
        where = ROW_FILTERS.get(f"{schema}.{table}", "true")
        out[f"{schema}.{table}"] = con.execute(
            f'SELECT count(*), sum(hash({", ".join(exprs) or "1"})::HUGEINT) FROM "{schema}"."{table}" t '
            f"{' '.join(joins)} WHERE {where}"
        ).fetchone()
    return out


def test_canonical_keys_catch_a_fact_left_on_a_retired_key() -> None:
    """The comparison must see a stale key: two warehouses equal up to key names compare equal, and
    one whose fact still points at a merged-away key does not."""

    def warehouse(keys: dict[str, str], fact_key: str) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect()
        con.execute("CREATE SCHEMA core")
        con.execute(
            "CREATE TABLE core.customer_identity_map "
            "(source_system VARCHAR, source_record_id VARCHAR, customer_key VARCHAR)"
        )
        con.executemany("INSERT INTO core.customer_identity_map VALUES ('pos', ?, ?)", list(keys.items()))
        con.execute(
            "CREATE TABLE core.dim_customer (customer_sk VARCHAR, customer_key VARCHAR, valid_from DATE)"
        )
        con.execute(
            "CREATE TABLE core.fct_order_lines AS SELECT 't1' AS transaction_id, ? AS customer_key",
            [fact_key],
        )
        return con

    full = table_signatures(warehouse({"r1": "C1", "r2": "C1"}, "C1"))
    renamed = table_signatures(warehouse({"r1": "C7", "r2": "C7"}, "C7"))
    stale = table_signatures(warehouse({"r1": "C7", "r2": "C7"}, "C8"))
    assert full == renamed
    assert full["core.fct_order_lines"] != stale["core.fct_order_lines"]


def test_day_by_day_runs_equal_a_full_rebuild(tmp_path: Path) -> None:
    source = tmp_path / "sim" / "landing"
    simulate(out=source, **SIMULATION)
    files = sorted(p for p in source.rglob("*") if p.is_file())
    days = sorted({day_of(f) for f in files if len(day_of(f)) == 10})
    # one POS file of day 2 arrives late, with day 5
    late = next(
        f for f in files if f.parent.name == "pos" and day_of(f) == days[1] and "resent" not in f.name
    )
    assert any("resent" in f.name for f in files)  # the simulator re-sends corrected files

    daily = load_settings(data_dir=tmp_path / "daily", env={})
    deliver(files, source, daily.landing_dir, days[FIRST_DAYS - 1], held=late)
    assert run_pipeline(daily).success
    for i in range(FIRST_DAYS, len(days)):
        added = deliver(files, source, daily.landing_dir, days[i], held=late if i < 4 else None)
        summary = run_pipeline(daily)
        assert summary.success and added > 0, summary.failures
        if i == FIRST_DAYS:  # a day without files: nothing loaded, nothing rebuilt
            quiet = run_pipeline(daily)
            assert quiet.success and quiet.nothing_new_since == summary.run_id

    full = load_settings(data_dir=tmp_path / "full", env={})
    deliver(files, source, full.landing_dir, days[-1])
    assert run_pipeline(full).success

    with (
        duckdb.connect(str(daily.warehouse_path), read_only=True) as a,
        duckdb.connect(str(full.warehouse_path), read_only=True) as b,
    ):
        assert partition(a) == partition(b)
        left, right = table_signatures(a), table_signatures(b)
    assert left.keys() == right.keys() and len(left) > 50
    assert left["core.fct_order_lines"][0] > 0 and left["marts.customer_360"][0] > 0
    assert {t: (left[t], right[t]) for t in left if left[t] != right[t]} == {}
