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
# Columns that differ by construction between two warehouses: run ids and load times, and the
# customer keys, which stable-key mapping assigns in the order records arrived (the identity map is
# compared as a partition of records instead), with key_since, the time a record got its key.
UNCOMPARED = ("run_id", "_run_id", "created_run_id", "_loaded_at", "loaded_at", "observed_at", "_load_id",
              "load_id", "trained_at", "model", "valid_from", "valid_to", "key_since")  # fmt: skip


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
    c = column.lower()
    return not (c in UNCOMPARED or "customer_key" in c or c.endswith("_sk") or c.endswith("_run_id"))


def table_signatures(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int]]:
    """Per staging, core and mart table: rows and an order-independent hash of the compared columns
    (floating point to 9 significant digits: sums in another order differ in the last bits)."""
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
        exprs = [
            f"printf('%.9g', \"{c}\")" if ty in ("DOUBLE", "FLOAT") else f'"{c}"'
            for c, ty in cols
            if compared(c)
        ] or ["1"]
        out[f"{schema}.{table}"] = con.execute(
            f'SELECT count(*), sum(hash({", ".join(exprs)})::HUGEINT) FROM "{schema}"."{table}"'
        ).fetchone()
    return out


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
